// bnnforge: requantization of the fixed-point stream, Vivado/Vitis HLS; one frame per call,
// the same words as hw/rtl/bnf_requantize.v. Codes on 2**-IN_FRAC -> OUT_W-bit codes on
// 2**-OUT_FRAC, round half to even, saturating; a finer output grid is an exact left shift.
#ifndef BNF_REQUANTIZE_H
#define BNF_REQUANTIZE_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_fixed.h"

template <int C, int PE, int PIXELS, int IN_W, int OUT_W, int IN_FRAC, int OUT_FRAC, int IN_TW, int OUT_TW>
void bnf_requantize(hls::stream<ap_uint<IN_TW> > &in0_V, hls::stream<ap_uint<OUT_TW> > &out0_V) {
    enum {
        RS = IN_FRAC > OUT_FRAC ? IN_FRAC - OUT_FRAC : 0,  // rounding right shift
        LS = OUT_FRAC > IN_FRAC ? OUT_FRAC - IN_FRAC : 0,  // exact left shift
        XW = IN_W + LS
    };
words:
    for (int i = 0; i < PIXELS * (C / PE); i++) {
#pragma HLS PIPELINE II = 1
        const ap_uint<IN_TW> x = in0_V.read();
        ap_uint<OUT_TW> y = 0;
        for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
            const ap_int<IN_W> xp = x(p * IN_W + IN_W - 1, p * IN_W);
            const ap_int<XW> aligned = ap_int<XW>(xp) << LS;
            y(p * OUT_W + OUT_W - 1, p * OUT_W) = ap_uint<OUT_W>(bnf_round_shift<OUT_W, XW>(aligned, RS));
        }
        out0_V.write(y);
    }
}

#endif
