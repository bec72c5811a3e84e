// bnnforge: additions on the fixed-point stream, Vivado/Vitis HLS; one frame per call, the
// same words as hw/rtl/bnf_residual_add.v and hw/rtl/bnf_embedding_add.v.
// y = saturate(round_half_even(a * 2**-A_FRAC + b * 2**-B_FRAC onto 2**-OUT_FRAC)).
//
// The entry templates take one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_residual_add, bnf_embedding_add: C, PE, PIXELS, IN_W, OUT_W, A_FRAC, B_FRAC, OUT_FRAC, A_TW, B_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_ADD_H
#define BNF_ADD_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_fixed.h"
#include "bnf_trips.h"

// Both operands shift left onto the common grid 2**-F exactly; the sum rounds onto OUT_FRAC.
template <int IN_W, int OUT_W, int A_FRAC, int B_FRAC, int OUT_FRAC>
ap_int<OUT_W> bnf_aligned_sum(ap_int<IN_W> a, ap_int<IN_W> b) {
#pragma HLS INLINE
    enum {
        FAB = A_FRAC > B_FRAC ? A_FRAC : B_FRAC,
        F = FAB > OUT_FRAC ? FAB : OUT_FRAC,
        SA = F - A_FRAC,
        SB = F - B_FRAC,
        SUM_W = IN_W + (SA > SB ? SA : SB) + 1
    };
    const ap_int<SUM_W> s = (ap_int<SUM_W>(a) << SA) + (ap_int<SUM_W>(b) << SB);
    return bnf_round_shift<OUT_W, SUM_W>(s, F - OUT_FRAC);
}

// PE lanes of one word pair
template <int PE, int IN_W, int OUT_W, int A_FRAC, int B_FRAC, int OUT_FRAC, int A_TW, int B_TW, int OUT_TW>
ap_uint<OUT_TW> bnf_add_word(ap_uint<A_TW> a, ap_uint<B_TW> b) {
#pragma HLS INLINE
    ap_uint<OUT_TW> y = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
        const ap_int<IN_W> ap = a(p * IN_W + IN_W - 1, p * IN_W);
        const ap_int<IN_W> bp = b(p * IN_W + IN_W - 1, p * IN_W);
        y(p * OUT_W + OUT_W - 1, p * OUT_W) =
            ap_uint<OUT_W>(bnf_aligned_sum<IN_W, OUT_W, A_FRAC, B_FRAC, OUT_FRAC>(ap, bp));
    }
    return y;
}

// Residual add of two equal streams: a on in0_V, the skip path b on in1_V. The RTL's skip
// FIFO is, in an HLS dataflow region, the depth of the hls::stream that feeds in1_V.
template <class CFG>
void bnf_residual_add(hls::stream<ap_uint<CFG::A_TW> > &in0_V, hls::stream<ap_uint<CFG::B_TW> > &in1_V,
                      hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int C = CFG::C, PE = CFG::PE, PIXELS = CFG::PIXELS, IN_W = CFG::IN_W, OUT_W = CFG::OUT_W;
    const int A_FRAC = CFG::A_FRAC, B_FRAC = CFG::B_FRAC, OUT_FRAC = CFG::OUT_FRAC, A_TW = CFG::A_TW;
    const int B_TW = CFG::B_TW, OUT_TW = CFG::OUT_TW;
words:
    for (int i = 0; i < PIXELS * (C / PE); i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<A_TW> a = in0_V.read();
        const ap_uint<B_TW> b = in1_V.read();
        out0_V.write(bnf_add_word<PE, IN_W, OUT_W, A_FRAC, B_FRAC, OUT_FRAC, A_TW, B_TW, OUT_TW>(a, b));
    }
}

// Embedding add: a [PIXELS, C] on in0_V plus the frame's vector b [C] (C/PE words, in1_V)
// added to every pixel. A DATAFLOW region of two processes joined by the vector array, which
// HLS makes a ping-pong (PIPO) buffer as the RTL double-buffers the vector: the next frame's
// vector loads (bnf_embedding_add_vector, C/PE words) while this frame streams
// (bnf_embedding_add_words, PIXELS*C/PE words).
template <class CFG>
void bnf_embedding_add_vector(hls::stream<ap_uint<CFG::B_TW> > &in1_V, ap_uint<CFG::B_TW> vec[CFG::C / CFG::PE]) {
vector:
    for (int i = 0; i < CFG::C / CFG::PE; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "vector");
        vec[i] = in1_V.read();
    }
}

template <class CFG>
void bnf_embedding_add_words(hls::stream<ap_uint<CFG::A_TW> > &in0_V, const ap_uint<CFG::B_TW> vec[CFG::C / CFG::PE],
                             hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int C = CFG::C, PE = CFG::PE, PIXELS = CFG::PIXELS, IN_W = CFG::IN_W, OUT_W = CFG::OUT_W;
    const int A_FRAC = CFG::A_FRAC, B_FRAC = CFG::B_FRAC, OUT_FRAC = CFG::OUT_FRAC, A_TW = CFG::A_TW;
    const int B_TW = CFG::B_TW, OUT_TW = CFG::OUT_TW;
    int j = 0;  // channel fold
words:
    for (int i = 0; i < PIXELS * (C / PE); i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<A_TW> a = in0_V.read();
        out0_V.write(bnf_add_word<PE, IN_W, OUT_W, A_FRAC, B_FRAC, OUT_FRAC, A_TW, B_TW, OUT_TW>(a, vec[j]));
        j = j == C / PE - 1 ? 0 : j + 1;
    }
}

template <class CFG>
void bnf_embedding_add(hls::stream<ap_uint<CFG::A_TW> > &in0_V, hls::stream<ap_uint<CFG::B_TW> > &in1_V,
                       hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
#pragma HLS DATAFLOW
    ap_uint<CFG::B_TW> vec[CFG::C / CFG::PE];
    bnf_embedding_add_vector<CFG>(in1_V, vec);
    bnf_embedding_add_words<CFG>(in0_V, vec, out0_V);
}

#endif
