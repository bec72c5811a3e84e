// bnnforge: stream width converter, Vivado/Vitis HLS. Same words as hw/rtl/bnf_dwc.v:
// ELEMS elements of EB bits per frame, IN_E per input word, OUT_E per output word.
//
// One frame per call, one flat pipelined loop of max(ELEMS/IN_E, ELEMS/OUT_E) steps, the
// RTL's cycles per frame: each step reads an input word when fewer than OUT_E elements are
// held and writes an output word when at least OUT_E are (widening: a read every step;
// narrowing: a write every step).
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_dwc: EB, IN_E, OUT_E, ELEMS, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_DWC_H
#define BNF_DWC_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_trips.h"

template <class CFG>
void bnf_dwc(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int EB = CFG::EB, IN_E = CFG::IN_E, OUT_E = CFG::OUT_E, ELEMS = CFG::ELEMS, OUT_TW = CFG::OUT_TW;
    const int STEPS = ELEMS / IN_E > ELEMS / OUT_E ? ELEMS / IN_E : ELEMS / OUT_E;
    ap_uint<(IN_E + OUT_E) * EB> buffer = 0;
    int count = 0;  // elements held, < IN_E + OUT_E
words:
    for (int i = 0; i < STEPS; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        if (count < OUT_E) {
            const ap_uint<(IN_E + OUT_E) * EB> word = ap_uint<IN_E * EB>(in0_V.read());
            buffer |= word << (count * EB);
            count += IN_E;
        }
        if (count >= OUT_E) {
            out0_V.write(ap_uint<OUT_TW>(buffer(OUT_E * EB - 1, 0)));
            buffer >>= OUT_E * EB;
            count -= OUT_E;
        }
    }
}

#endif
