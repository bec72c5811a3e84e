// bnnforge: per-channel sign of the fixed-point stream (bit = x >= t), Vivado/Vitis HLS.
// Same words as hw/rtl/bnf_thresholding.v.
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_thresholding: C, PE, IN_W, PIXELS, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_THRESHOLDING_H
#define BNF_THRESHOLDING_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_rom.h"
#include "bnf_trips.h"

template <class CFG>
void bnf_thresholding(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                      const bnf_limb_t thresholds[CFG::C / CFG::PE][BNF_LIMBS(CFG::PE *(CFG::IN_W + 1))]) {
#pragma HLS ARRAY_RESHAPE variable = thresholds complete dim = 2
    const int C = CFG::C, PE = CFG::PE, IN_W = CFG::IN_W, PIXELS = CFG::PIXELS, IN_TW = CFG::IN_TW;
    const int OUT_TW = CFG::OUT_TW;
words:
    for (int i = 0; i < PIXELS * (C / PE); i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<IN_TW> x = in0_V.read();
        const ap_uint<PE *(IN_W + 1)> t = bnf_rom<PE *(IN_W + 1)>(thresholds[i % (C / PE)]);
        ap_uint<OUT_TW> bits = 0;
        for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
            const ap_int<IN_W> xp = x(p * IN_W + IN_W - 1, p * IN_W);
            const ap_int<IN_W + 1> tp = t(p * (IN_W + 1) + IN_W, p * (IN_W + 1));
            bits[p] = xp >= tp;
        }
        out0_V.write(bits);
    }
}

#endif
