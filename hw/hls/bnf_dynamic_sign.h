// bnnforge: BCDNet-B's input-dependent binarization for Vivado/Vitis HLS, one frame per call;
// same words as hw/rtl/bnf_dynamic_sign.v. bit = (x << SX) - (v << SV) >= t per channel: x
// [PIXELS, C] on in0_V, the frame's thresholds v [C] on in1_V (C/PE words), static t [C].
//
// v is computed from this very frame (its global average pool, by other ops on a copy of the
// x stream), so x must be taken in whole without waiting for v, or the dataflow deadlocks.
// A DATAFLOW region does it: bnf_dynamic_sign_load copies the frame into a stream two frames
// deep (the RTL's double-buffered frame buffer), bnf_dynamic_sign_emit waits for v and then
// streams the bits out.
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_dynamic_sign: C, PE, PIXELS, X_W, V_W, SX, SV, X_TW, V_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_DYNAMIC_SIGN_H
#define BNF_DYNAMIC_SIGN_H

#include <ap_int.h>
#include <hls_stream.h>

template <int WORDS, int X_TW>
void bnf_dynamic_sign_load(hls::stream<ap_uint<X_TW> > &in0_V, hls::stream<ap_uint<X_TW> > &frame) {
words:
    for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II = 1
        frame.write(in0_V.read());
    }
}

template <int C, int PE, int PIXELS, int X_W, int V_W, int SX, int SV, int X_TW, int V_TW, int OUT_TW, int DW>
void bnf_dynamic_sign_emit(hls::stream<ap_uint<X_TW> > &frame, hls::stream<ap_uint<V_TW> > &in1_V,
                           hls::stream<ap_uint<OUT_TW> > &out0_V, const ap_uint<PE *(DW + 1)> thresholds[C / PE]) {
    ap_uint<PE * V_W> vec[C / PE];
vector:
    for (int i = 0; i < C / PE; i++) {
#pragma HLS PIPELINE II = 1
        vec[i] = in1_V.read()(PE * V_W - 1, 0);
    }
words:
    for (int i = 0; i < PIXELS * (C / PE); i++) {
#pragma HLS PIPELINE II = 1
        const ap_uint<X_TW> x = frame.read();
        const ap_uint<PE * V_W> v = vec[i % (C / PE)];
        const ap_uint<PE *(DW + 1)> t = thresholds[i % (C / PE)];
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
    }
}

template <class CFG>
void bnf_dynamic_sign(hls::stream<ap_uint<CFG::X_TW> > &in0_V, hls::stream<ap_uint<CFG::V_TW> > &in1_V,
                      hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                      const ap_uint<CFG::PE *((CFG::X_W + CFG::SX > CFG::V_W + CFG::SV ? CFG::X_W + CFG::SX
                                                                                        : CFG::V_W + CFG::SV) + 2)>
                          thresholds[CFG::C / CFG::PE]) {
#pragma HLS DATAFLOW
    const int C = CFG::C, PE = CFG::PE, PIXELS = CFG::PIXELS, X_W = CFG::X_W, V_W = CFG::V_W, SX = CFG::SX;
    const int SV = CFG::SV, X_TW = CFG::X_TW, V_TW = CFG::V_TW, OUT_TW = CFG::OUT_TW;
    enum { DW = (X_W + SX > V_W + SV ? X_W + SX : V_W + SV) + 1, DEPTH = 2 * PIXELS * (C / PE) };
    hls::stream<ap_uint<X_TW> > frame("frame");
#pragma HLS STREAM variable = frame depth = DEPTH
    bnf_dynamic_sign_load<PIXELS *(C / PE), X_TW>(in0_V, frame);
    bnf_dynamic_sign_emit<C, PE, PIXELS, X_W, V_W, SX, SV, X_TW, V_TW, OUT_TW, DW>(frame, in1_V, out0_V, thresholds);
}

#endif
