// bnnforge: binary matrix-vector unit (XNOR-popcount), Vivado/Vitis HLS.
// Same stream words, folding and padding correction as hw/rtl/bnf_binary_mvau.v: per
// output vector MW/SIMD input words in, MH/PE output words of PE signed dots out.
#ifndef BNF_BINARY_MVAU_H
#define BNF_BINARY_MVAU_H

#include <ap_int.h>
#include <hls_stream.h>

template <int N>
ap_uint<16> bnf_popcount(ap_uint<N> bits) {
#pragma HLS INLINE
    ap_uint<16> count = 0;
    for (int i = 0; i < N; i++) {
#pragma HLS UNROLL
        count += bits[i];
    }
    return count;
}

template <int MW, int MH, int PE, int SIMD, int OUT_W, int OH, int OW, int NCLS, int IN_TW, int OUT_TW>
void bnf_binary_mvau(hls::stream<ap_uint<IN_TW> > &in0_V, hls::stream<ap_uint<OUT_TW> > &out0_V,
                     const ap_uint<PE * SIMD> weights[(MH / PE) * (MW / SIMD)],
                     const ap_uint<PE * OUT_W> corr[NCLS * (MH / PE)], const ap_uint<16> rowbase[OH],
                     const ap_uint<16> colbase[OW]) {
    const int SF = MW / SIMD, NF = MH / PE;
    ap_uint<SIMD> inbuf[SF];
    ap_int<OUT_W + 2> acc[PE];
#pragma HLS ARRAY_PARTITION variable = acc complete
pixels:
    for (int pix = 0; pix < OH * OW; pix++) {
        const int oy = pix / OW, ox = pix % OW;
    folds:
        for (int step = 0; step < NF * SF; step++) {
#pragma HLS PIPELINE II = 1
            const int nf = step / SF, sf = step % SF;
            ap_uint<SIMD> x;
            if (nf == 0) {
                x = in0_V.read();
                inbuf[sf] = x;
            } else {
                x = inbuf[sf];
            }
            const ap_uint<PE * SIMD> w = weights[step];
            const ap_uint<PE * OUT_W> c = corr[rowbase[oy] + colbase[ox] + nf];
            ap_uint<OUT_TW> word = 0;
            for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
                const ap_uint<SIMD> agree = ~(x ^ w(p * SIMD + SIMD - 1, p * SIMD));
                const ap_int<OUT_W + 2> total = (sf == 0 ? ap_int<OUT_W + 2>(0) : acc[p]) + bnf_popcount<SIMD>(agree);
                acc[p] = total;
                const ap_int<OUT_W> cp = c(p * OUT_W + OUT_W - 1, p * OUT_W);
                const ap_int<OUT_W + 2> dot = 2 * total - MW + cp;
                word(p * OUT_W + OUT_W - 1, p * OUT_W) = dot(OUT_W - 1, 0);
            }
            if (sf == SF - 1) out0_V.write(word);
        }
    }
}

#endif
