// bnnforge: the learnable activations of the fixed-point stream, Vivado/Vitis HLS. Same
// stream and parameter words as hw/rtl/bnf_prelu.v (generator/hwops/activations.py):
//   bnf_rprelu: t = x - b1; y = sat((t >= 0 ? t : round(t * a / 2**SF)) + b2), lane {b2, a, b1}
//   bnf_fprelu: y = sat(round(x * (x >= 0 ? a_pos : a_neg) / 2**SF)),     lane {a_neg, a_pos}
// One frame per call. The slope product is one multiplier per lane (a DSP, as in the RTL).
//
// The entry templates take one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_rprelu, bnf_fprelu: C, PE, IN_W, B_W, A_W, SF, OUT_W, PIXELS, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_PRELU_H
#define BNF_PRELU_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_fixed.h"
#include "bnf_rom.h"
#include "bnf_trips.h"

template <class CFG>
void bnf_rprelu(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                const bnf_limb_t params[CFG::C / CFG::PE][BNF_LIMBS(CFG::PE *(2 * CFG::B_W + CFG::A_W))]) {
#pragma HLS ARRAY_RESHAPE variable = params complete dim = 2
    const int C = CFG::C, PE = CFG::PE, IN_W = CFG::IN_W, B_W = CFG::B_W, A_W = CFG::A_W, SF = CFG::SF;
    const int OUT_W = CFG::OUT_W, PIXELS = CFG::PIXELS, IN_TW = CFG::IN_TW, OUT_TW = CFG::OUT_TW;
    const int LANE_W = 2 * B_W + A_W;
    const int TW = (IN_W > B_W ? IN_W : B_W) + 1;  // t = x - b1, exact
words:
    for (int w = 0; w < PIXELS * (C / PE); w++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<IN_TW> x = in0_V.read();
        const ap_uint<PE * LANE_W> pw = bnf_rom<PE * LANE_W>(params[w % (C / PE)]);
        ap_uint<OUT_TW> y = 0;
        for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
            const ap_uint<LANE_W> lane = pw(p * LANE_W + LANE_W - 1, p * LANE_W);
            const ap_int<IN_W> xp = x(p * IN_W + IN_W - 1, p * IN_W);
            const ap_int<B_W> b1 = lane(B_W - 1, 0);
            const ap_int<A_W> a = lane(B_W + A_W - 1, B_W);
            const ap_int<B_W> b2 = lane(LANE_W - 1, B_W + A_W);
            const ap_int<TW> t = ap_int<TW>(xp) - b1;
            const ap_int<TW + A_W> prod = t * a;
            const ap_int<TW + A_W + 1> neg = bnf_round_shift<TW + A_W + 1, TW + A_W>(prod, SF);
            const ap_int<TW + A_W + 3> sum = (t >= 0 ? ap_int<TW + A_W + 1>(t) : neg) + b2;
            y(p * OUT_W + OUT_W - 1, p * OUT_W) = bnf_round_shift<OUT_W, TW + A_W + 3>(sum, 0);
        }
        out0_V.write(y);
    }
}

template <class CFG>
void bnf_fprelu(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                const bnf_limb_t params[CFG::C / CFG::PE][BNF_LIMBS(CFG::PE * 2 * CFG::A_W)]) {
#pragma HLS ARRAY_RESHAPE variable = params complete dim = 2
    const int C = CFG::C, PE = CFG::PE, IN_W = CFG::IN_W, A_W = CFG::A_W, SF = CFG::SF, OUT_W = CFG::OUT_W;
    const int PIXELS = CFG::PIXELS, IN_TW = CFG::IN_TW, OUT_TW = CFG::OUT_TW;
    const int LANE_W = 2 * A_W;
words:
    for (int w = 0; w < PIXELS * (C / PE); w++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<IN_TW> x = in0_V.read();
        const ap_uint<PE * LANE_W> pw = bnf_rom<PE * LANE_W>(params[w % (C / PE)]);
        ap_uint<OUT_TW> y = 0;
        for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
            const ap_uint<LANE_W> lane = pw(p * LANE_W + LANE_W - 1, p * LANE_W);
            const ap_int<IN_W> xp = x(p * IN_W + IN_W - 1, p * IN_W);
            const ap_int<A_W> a_pos = lane(A_W - 1, 0);
            const ap_int<A_W> a_neg = lane(LANE_W - 1, A_W);
            const ap_int<IN_W + A_W> prod = xp * (xp >= 0 ? a_pos : a_neg);
            y(p * OUT_W + OUT_W - 1, p * OUT_W) = bnf_round_shift<OUT_W, IN_W + A_W>(prod, SF);
        }
        out0_V.write(y);
    }
}

#endif
