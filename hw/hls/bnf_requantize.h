// bnnforge: requantization of the fixed-point stream, Vivado/Vitis HLS; one frame per call,
// the same words as hw/rtl/bnf_requantize.v. Codes on 2**-IN_FRAC -> OUT_W-bit codes on
// 2**-OUT_FRAC, round half to even, saturating; a finer output grid is an exact left shift.
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_requantize: C, PE, PIXELS, IN_W, OUT_W, IN_FRAC, OUT_FRAC, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_REQUANTIZE_H
#define BNF_REQUANTIZE_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_fixed.h"
#include "bnf_trips.h"

template <class CFG>
void bnf_requantize(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int C = CFG::C, PE = CFG::PE, PIXELS = CFG::PIXELS, IN_W = CFG::IN_W, OUT_W = CFG::OUT_W;
    const int IN_FRAC = CFG::IN_FRAC, OUT_FRAC = CFG::OUT_FRAC, IN_TW = CFG::IN_TW, OUT_TW = CFG::OUT_TW;
    enum {
        RS = IN_FRAC > OUT_FRAC ? IN_FRAC - OUT_FRAC : 0,  // rounding right shift
        LS = OUT_FRAC > IN_FRAC ? OUT_FRAC - IN_FRAC : 0,  // exact left shift
        XW = IN_W + LS
    };
words:
    for (int i = 0; i < PIXELS * (C / PE); i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
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
