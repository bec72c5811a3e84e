// bnnforge: the two ends of an hls4ml io_stream project built from bnnforge templates.
//
// hls4ml's top function, test bench and Python bridge (nnet::convert_data) speak
// hls::stream<nnet::array<T, N> >: one array of N elements per stream word. bnnforge's
// templates speak hls::stream<ap_uint<TW> >: folded words of ELEMS elements of EB bits,
// element 0 in the lowest bits, TDATA padded to whole bytes (generator/hwops/ports.py).
// These two templates convert between the two, bit for bit; every layer in between is a
// bnf_*.h template. ARR is any array type with ::size, ::value_type and operator[]
// (nnet::array), so this header needs nothing from nnet_utils.
//
// Config struct members (CFG::NAME):
//   bnf_from_nnet: WORDS_IN (arrays per frame), N (elements per array), ELEMS, EB, OUT_TW
//   bnf_to_nnet:   WORDS_OUT (arrays per frame), N, ELEMS, EB, IN_TW
#ifndef BNF_NNET_IO_H
#define BNF_NNET_IO_H

#include <ap_int.h>
#include <hls_stream.h>

// nnet::array words -> packed bnnforge words; N must be a multiple of ELEMS
template <class CFG, class ARR>
void bnf_from_nnet(hls::stream<ARR> &in, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int EB = CFG::EB, ELEMS = CFG::ELEMS;
arrays:
    for (int a = 0; a < CFG::WORDS_IN; a++) {
        const ARR x = in.read();
    words:
        for (int w = 0; w < CFG::N / ELEMS; w++) {
#pragma HLS PIPELINE II = 1
            ap_uint<CFG::OUT_TW> word = 0;
            for (int e = 0; e < ELEMS; e++) {
#pragma HLS UNROLL
                // the low EB bits of the element's two's-complement value
                const ap_int<EB + 1> v = x[w * ELEMS + e];
                word(e * EB + EB - 1, e * EB) = v(EB - 1, 0);
            }
            out0_V.write(word);
        }
    }
}

// packed bnnforge words -> nnet::array words whose value_type is EB bits wide (ap_int or
// ap_fixed: the bits are copied, so an ap_fixed with F fractional bits reads code * 2^-F)
template <class CFG, class ARR>
void bnf_to_nnet(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ARR> &out) {
    const int EB = CFG::EB, ELEMS = CFG::ELEMS;
arrays:
    for (int a = 0; a < CFG::WORDS_OUT; a++) {
        ARR y;
    words:
        for (int w = 0; w < CFG::N / ELEMS; w++) {
#pragma HLS PIPELINE II = 1
            const ap_uint<CFG::IN_TW> word = in0_V.read();
            for (int e = 0; e < ELEMS; e++) {
#pragma HLS UNROLL
                y[w * ELEMS + e].range(EB - 1, 0) = word(e * EB + EB - 1, e * EB);
            }
        }
        out.write(y);
    }
}

#endif
