// bnnforge: BCDNet-B's input-dependent binarization for Vivado/Vitis HLS, one frame per call;
// same words as hw/rtl/bnf_dynamic_sign.v. bit = (x << SX) - (v << SV) >= t per channel: x
// [PIXELS, C] on in0_V, the frame's thresholds v [C] on in1_V (C/PE words), static t [C].
//
// v is computed from this very frame (its global average pool, by other ops on a copy of
// the x stream), so x must be taken in whole without waiting for v, or the dataflow deadlocks.
// A DATAFLOW region of three processes does it: bnf_dynamic_sign_load copies the frame into
// a stream RING words deep (the RTL's frame ring: a frame and the next frame's words that come
// in while v is on its way), bnf_dynamic_sign_vector
// loads v into an array HLS makes a ping-pong (PIPO) buffer (the RTL's two v banks), and
// bnf_dynamic_sign_emit, once v is there, streams the bits out: PIXELS*C/PE words per frame
// for load and emit, C/PE for the vector, so frames stream at one word per cycle.
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_dynamic_sign: C, PE, PIXELS, X_W, V_W, SX, SV, RING, X_TW, V_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_DYNAMIC_SIGN_H
#define BNF_DYNAMIC_SIGN_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_rom.h"
#include "bnf_trips.h"

// the width DW of x' - v' (both shifted onto the common grid); thresholds have DW + 1 bits
template <class CFG>
struct bnf_dynamic_sign_widths {
    enum { DW = (CFG::X_W + CFG::SX > CFG::V_W + CFG::SV ? CFG::X_W + CFG::SX : CFG::V_W + CFG::SV) + 1 };
};

template <class CFG>
void bnf_dynamic_sign_load(hls::stream<ap_uint<CFG::X_TW> > &in0_V, hls::stream<ap_uint<CFG::X_TW> > &frame) {
load:
    for (int i = 0; i < CFG::PIXELS * (CFG::C / CFG::PE); i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "load");
        frame.write(in0_V.read());
    }
}

template <class CFG>
void bnf_dynamic_sign_vector(hls::stream<ap_uint<CFG::V_TW> > &in1_V, ap_uint<CFG::PE * CFG::V_W> vec[CFG::C / CFG::PE]) {
vector:
    for (int i = 0; i < CFG::C / CFG::PE; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "vector");
        vec[i] = in1_V.read()(CFG::PE * CFG::V_W - 1, 0);
    }
}

template <class CFG>
void bnf_dynamic_sign_emit(hls::stream<ap_uint<CFG::X_TW> > &frame, const ap_uint<CFG::PE * CFG::V_W> vec[CFG::C / CFG::PE],
                           hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                           const bnf_limb_t thresholds[CFG::C / CFG::PE][BNF_LIMBS(CFG::PE *(bnf_dynamic_sign_widths<CFG>::DW + 1))]) {
#pragma HLS ARRAY_RESHAPE variable = thresholds complete dim = 2
    const int C = CFG::C, PE = CFG::PE, PIXELS = CFG::PIXELS, X_W = CFG::X_W, V_W = CFG::V_W, SX = CFG::SX;
    const int SV = CFG::SV, X_TW = CFG::X_TW, OUT_TW = CFG::OUT_TW, DW = bnf_dynamic_sign_widths<CFG>::DW;
    int j = 0;  // channel fold
emit:
    for (int i = 0; i < PIXELS * (C / PE); i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "emit");
        const ap_uint<X_TW> x = frame.read();
        const ap_uint<PE * V_W> v = vec[j];
        const ap_uint<PE *(DW + 1)> t = bnf_rom<PE *(DW + 1)>(thresholds[j]);
        ap_uint<OUT_TW> bits = 0;
        for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
            const ap_int<X_W> xp = x(p * X_W + X_W - 1, p * X_W);
            const ap_int<V_W> vp = v(p * V_W + V_W - 1, p * V_W);
            const ap_int<DW + 1> tp = t(p * (DW + 1) + DW, p * (DW + 1));
            // both fit DW bits after the shift, and so does their difference
            const ap_int<DW> d = (ap_int<DW>(xp) << SX) - (ap_int<DW>(vp) << SV);
            bits[p] = d >= tp;
        }
        out0_V.write(bits);
        j = j == C / PE - 1 ? 0 : j + 1;
    }
}

template <class CFG>
void bnf_dynamic_sign(hls::stream<ap_uint<CFG::X_TW> > &in0_V, hls::stream<ap_uint<CFG::V_TW> > &in1_V,
                      hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                      const bnf_limb_t thresholds[CFG::C / CFG::PE][BNF_LIMBS(CFG::PE *(bnf_dynamic_sign_widths<CFG>::DW + 1))]) {
#pragma HLS DATAFLOW
    enum { DEPTH = CFG::RING };
    hls::stream<ap_uint<CFG::X_TW> > frame("frame");
#pragma HLS STREAM variable = frame depth = DEPTH
    ap_uint<CFG::PE * CFG::V_W> vec[CFG::C / CFG::PE];
    bnf_dynamic_sign_load<CFG>(in0_V, frame);
    bnf_dynamic_sign_vector<CFG>(in1_V, vec);
    bnf_dynamic_sign_emit<CFG>(frame, vec, out0_V, thresholds);
}

#endif
