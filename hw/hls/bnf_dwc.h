// bnnforge: stream width converter, Vivado/Vitis HLS. Same words as hw/rtl/bnf_dwc.v:
// ELEMS elements of EB bits per frame, IN_E per input word, OUT_E per output word.
#ifndef BNF_DWC_H
#define BNF_DWC_H

#include <ap_int.h>
#include <hls_stream.h>

template <int EB, int IN_E, int OUT_E, int ELEMS, int IN_TW, int OUT_TW>
void bnf_dwc(hls::stream<ap_uint<IN_TW> > &in0_V, hls::stream<ap_uint<OUT_TW> > &out0_V) {
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
