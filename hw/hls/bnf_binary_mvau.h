// bnnforge: binary matrix-vector unit (XNOR-popcount), Vivado/Vitis HLS.
// Same stream words, folding, grouping, padding correction and fused thresholds as
// hw/rtl/bnf_binary_mvau.v, and the same parameter words: per output vector G*MW/SIMD input
// words in, MH/PE output words of PE signed dots (or with THRESH of PE bits dot >= t) out.
// Each lane's accumulator starts from its bias (corr - MW, minus t with THRESH) for the
// pixel's border class and adds twice the popcount. The fully unrolled folding (PE = MH,
// SIMD = MW) needs no separate template: its one-word weight array is a constant HLS folds
// into logic, as hw/rtl/bnf_binary_mvau_const.v does.
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_binary_mvau: MW, MH, PE, SIMD, OUT_W, OH, OW, NCLS, G, KK, THRESH, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
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

// One fold step of the PE lanes on input word x; the returned word holds the outputs after
// the fold's last step. ACC_W = OUT_W (+ 1 with THRESH): the dot modulo 2**OUT_W, or dot - t.
template <int PE, int SIMD, int OUT_W, int THRESH, int OUT_TW>
ap_uint<OUT_TW> bnf_binary_mvau_step(ap_uint<SIMD> x, ap_uint<PE * SIMD> w, ap_uint<PE *(OUT_W + THRESH)> bias,
                                     bool first, ap_uint<OUT_W + THRESH> acc[PE]) {
#pragma HLS INLINE
    const int ACC_W = OUT_W + THRESH;
    ap_uint<OUT_TW> word = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
        const ap_uint<SIMD> agree = ~(x ^ w(p * SIMD + SIMD - 1, p * SIMD));
        const ap_uint<ACC_W> base = first ? ap_uint<ACC_W>(bias(p * ACC_W + ACC_W - 1, p * ACC_W)) : acc[p];
        const ap_uint<ACC_W> total = base + 2 * bnf_popcount<SIMD>(agree);
        acc[p] = total;
        if (THRESH) {
            word[p] = !total[ACC_W - 1];  // dot - t >= 0
        } else {
            word(p * OUT_W + OUT_W - 1, p * OUT_W) = total;
        }
    }
    return word;
}

template <class CFG>
void bnf_binary_mvau(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                     const ap_uint<CFG::PE * CFG::SIMD> weights[(CFG::MH / CFG::PE) * (CFG::MW / CFG::SIMD)],
                     const ap_uint<CFG::PE *(CFG::OUT_W + CFG::THRESH)> bias[CFG::NCLS * (CFG::MH / CFG::PE)],
                     const ap_uint<16> rowbase[CFG::OH], const ap_uint<16> colbase[CFG::OW]) {
    const int MW = CFG::MW, MH = CFG::MH, PE = CFG::PE, SIMD = CFG::SIMD, OUT_W = CFG::OUT_W, OH = CFG::OH;
    const int OW = CFG::OW, G = CFG::G, KK = CFG::KK, THRESH = CFG::THRESH, OUT_TW = CFG::OUT_TW;
    const int SF = MW / SIMD, NF = MH / PE;
    ap_uint<OUT_W + THRESH> acc[PE];
#pragma HLS ARRAY_PARTITION variable = acc complete
    if (G == 1) {
        // fold 0 takes the input words as they arrive and keeps them for the later folds
        ap_uint<SIMD> inbuf[SF];
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
                const ap_uint<OUT_TW> word = bnf_binary_mvau_step<PE, SIMD, OUT_W, THRESH, OUT_TW>(
                    x, weights[step], bias[rowbase[oy] + colbase[ox] + nf], sf == 0, acc);
                if (sf == SF - 1) out0_V.write(word);
            }
        }
    } else {
        // grouped: whole vectors of KK taps x G groups x MW/KK channels in a double buffer;
        // output fold nf reads group nf / (NF/G)'s words. The next pixel's vector loads while
        // this one's folds run (G*SF <= NF*SF words).
        const int IW = G * SF, CGW = MW / (KK * SIMD), NFG = NF / G;
        ap_uint<SIMD> vbuf[2][G * (MW / SIMD)];
#pragma HLS DEPENDENCE variable = vbuf inter false
    load0:
        for (int i = 0; i < IW; i++) {
#pragma HLS PIPELINE II = 1
            vbuf[0][i] = in0_V.read();
        }
    gpixels:
        for (int pix = 0; pix < OH * OW; pix++) {
            const int oy = pix / OW, ox = pix % OW, bank = pix & 1;
        gfolds:
            for (int step = 0; step < NF * SF; step++) {
#pragma HLS PIPELINE II = 1
                const int nf = step / SF, sf = step % SF;
                if (step < IW && pix + 1 < OH * OW) vbuf[bank ^ 1][step] = in0_V.read();
                const int grp = nf / NFG, tap = sf / CGW, j = sf % CGW;
                const ap_uint<SIMD> x = vbuf[bank][tap * G * CGW + grp * CGW + j];
                const ap_uint<OUT_TW> word = bnf_binary_mvau_step<PE, SIMD, OUT_W, THRESH, OUT_TW>(
                    x, weights[step], bias[rowbase[oy] + colbase[ox] + nf], sf == 0, acc);
                if (sf == SF - 1) out0_V.write(word);
            }
        }
    }
}

#endif
