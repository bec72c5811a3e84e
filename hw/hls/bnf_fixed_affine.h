// bnnforge: folded batch norm on the fixed-point stream, Vivado/Vitis HLS. Same stream words
// and parameter words as hw/rtl/bnf_fixed_affine.v: per channel
//   y = sat(round((sum_i d_i * m_i << L + B') / 2**R)),
// the lane word holding m_0 .. m_{BR-1}, L, R and B' (LSB first; generator/hwops/affine.py).
// bnf_fixed_affine takes one input stream, bnf_fixed_affine3 three (the binary MLP block's
// branches, one word of each per step). One frame per call.
//
// The entry templates take one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_fixed_affine, bnf_fixed_affine3: C, PE, IN_W, G_W, ACC_W, LSH_W, RSH_W, OUT_W, PIXELS, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_FIXED_AFFINE_H
#define BNF_FIXED_AFFINE_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_fixed.h"
#include "bnf_rom.h"
#include "bnf_trips.h"

template <int BR, int IN_W, int G_W, int ACC_W, int LSH_W, int RSH_W, int OUT_W>
ap_int<OUT_W> bnf_fixed_affine_lane(const ap_int<IN_W> d[BR], const ap_uint<BR * G_W + LSH_W + RSH_W + ACC_W> lane) {
#pragma HLS INLINE
    const int L_AT = BR * G_W, R_AT = L_AT + LSH_W, B_AT = R_AT + RSH_W;
    ap_int<ACC_W> sum = 0;  // the emitter checked that the exact sum fits ACC_W bits
    for (int i = 0; i < BR; i++) {
#pragma HLS UNROLL
        const ap_int<G_W> m = lane(i * G_W + G_W - 1, i * G_W);
        sum += ap_int<IN_W + G_W>(d[i] * m);
    }
    const ap_uint<LSH_W> l = lane(L_AT + LSH_W - 1, L_AT);
    const ap_uint<RSH_W> r = lane(R_AT + RSH_W - 1, R_AT);
    const ap_int<ACC_W> bias = lane(B_AT + ACC_W - 1, B_AT);
    const ap_int<ACC_W> acc = ap_int<ACC_W>(sum << l) + bias;
    return bnf_round_shift<OUT_W, ACC_W>(acc, r.to_int());
}

// one output word from one input word of each branch and the channel fold's parameter word
template <int BR, int PE, int IN_W, int G_W, int ACC_W, int LSH_W, int RSH_W, int OUT_W, int IN_TW, int OUT_TW>
ap_uint<OUT_TW> bnf_fixed_affine_word(const ap_uint<IN_TW> x[BR],
                                      const ap_uint<PE *(BR * G_W + LSH_W + RSH_W + ACC_W)> pw) {
#pragma HLS INLINE
    const int LANE_W = BR * G_W + LSH_W + RSH_W + ACC_W;
    ap_uint<OUT_TW> y = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
        ap_int<IN_W> d[BR];
        for (int i = 0; i < BR; i++) {
#pragma HLS UNROLL
            d[i] = x[i](p * IN_W + IN_W - 1, p * IN_W);
        }
        const ap_uint<LANE_W> lane = pw(p * LANE_W + LANE_W - 1, p * LANE_W);
        y(p * OUT_W + OUT_W - 1, p * OUT_W) = bnf_fixed_affine_lane<BR, IN_W, G_W, ACC_W, LSH_W, RSH_W, OUT_W>(d, lane);
    }
    return y;
}

template <class CFG>
void bnf_fixed_affine(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                      const bnf_limb_t params[CFG::C / CFG::PE][BNF_LIMBS(CFG::PE *(CFG::G_W + CFG::LSH_W + CFG::RSH_W + CFG::ACC_W))]) {
#pragma HLS ARRAY_RESHAPE variable = params complete dim = 2
    const int C = CFG::C, PE = CFG::PE, IN_W = CFG::IN_W, G_W = CFG::G_W, ACC_W = CFG::ACC_W, LSH_W = CFG::LSH_W;
    const int RSH_W = CFG::RSH_W, OUT_W = CFG::OUT_W, PIXELS = CFG::PIXELS, IN_TW = CFG::IN_TW, OUT_TW = CFG::OUT_TW;
words:
    for (int w = 0; w < PIXELS * (C / PE); w++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        ap_uint<IN_TW> x[1];
        x[0] = in0_V.read();
        out0_V.write(bnf_fixed_affine_word<1, PE, IN_W, G_W, ACC_W, LSH_W, RSH_W, OUT_W, IN_TW, OUT_TW>(
            x, bnf_rom<PE *(G_W + LSH_W + RSH_W + ACC_W)>(params[w % (C / PE)])));
    }
}

template <class CFG>
void bnf_fixed_affine3(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::IN_TW> > &in1_V,
                       hls::stream<ap_uint<CFG::IN_TW> > &in2_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                       const bnf_limb_t params[CFG::C / CFG::PE]
                                              [BNF_LIMBS(CFG::PE *(3 * CFG::G_W + CFG::LSH_W + CFG::RSH_W + CFG::ACC_W))]) {
#pragma HLS ARRAY_RESHAPE variable = params complete dim = 2
    const int C = CFG::C, PE = CFG::PE, IN_W = CFG::IN_W, G_W = CFG::G_W, ACC_W = CFG::ACC_W, LSH_W = CFG::LSH_W;
    const int RSH_W = CFG::RSH_W, OUT_W = CFG::OUT_W, PIXELS = CFG::PIXELS, IN_TW = CFG::IN_TW, OUT_TW = CFG::OUT_TW;
words:
    for (int w = 0; w < PIXELS * (C / PE); w++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        ap_uint<IN_TW> x[3];
#pragma HLS ARRAY_PARTITION variable = x complete
        x[0] = in0_V.read();
        x[1] = in1_V.read();
        x[2] = in2_V.read();
        out0_V.write(bnf_fixed_affine_word<3, PE, IN_W, G_W, ACC_W, LSH_W, RSH_W, OUT_W, IN_TW, OUT_TW>(
            x, bnf_rom<PE *(3 * G_W + LSH_W + RSH_W + ACC_W)>(params[w % (C / PE)])));
    }
}

#endif
