// bnnforge: stream width converter, Vivado/Vitis HLS. Same words as hw/rtl/bnf_dwc.v:
// ELEMS elements of EB bits per frame, IN_E per input word, OUT_E per output word.
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_dwc: EB, IN_E, OUT_E, ELEMS, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_DWC_H
#define BNF_DWC_H

#include <ap_int.h>
#include <hls_stream.h>

template <class CFG>
void bnf_dwc(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int EB = CFG::EB, IN_E = CFG::IN_E, OUT_E = CFG::OUT_E, ELEMS = CFG::ELEMS, OUT_TW = CFG::OUT_TW;
    ap_uint<(IN_E + OUT_E) * EB> buffer = 0;
    int count = 0;  // elements held
words:
    for (int i = 0; i < ELEMS / OUT_E; i++) {
        while (count < OUT_E) {
#pragma HLS PIPELINE II = 1
            const ap_uint<(IN_E + OUT_E) * EB> word = ap_uint<IN_E * EB>(in0_V.read());
            buffer |= word << (count * EB);
            count += IN_E;
        }
        out0_V.write(ap_uint<OUT_TW>(buffer(OUT_E * EB - 1, 0)));
        buffer >>= OUT_E * EB;
        count -= OUT_E;
    }
}

#endif
