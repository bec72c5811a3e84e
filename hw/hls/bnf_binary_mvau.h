// bnnforge: binary matrix-vector unit (XNOR-popcount), Vivado/Vitis HLS.
// Same stream words, folding, grouping, padding correction and fused thresholds as
// hw/rtl/bnf_binary_mvau.v, and the same parameter words: per output vector G*MW/SIMD input
// words in, MH/PE output words of PE signed dots (or with THRESH of PE bits dot >= t) out.
// Each lane's accumulator starts from its bias (corr - MW, minus t with THRESH) and adds
// twice the popcount. Zero padding as in the RTL: with PAD_STEP a step's word is padding
// where its tap's kernel row is padded at the output row or its kernel column at the output
// column (K-bit masks rowpad, colpad); it adds SIMD (+0 against the -MW) and the bias is per
// output. Without PAD_STEP the bias is per border class (rowbase + colbase) and output. The fully unrolled folding (PE = MH,
// SIMD = MW) needs no separate template: its one-word weight array is a constant HLS folds
// into logic, as hw/rtl/bnf_binary_mvau_const.v does. One frame per call, OH*OW*MH/PE*MW/SIMD
// fold steps: one flat pipelined loop (G = 1), or with groups two DATAFLOW processes (below).
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_binary_mvau: MW, MH, PE, SIMD, OUT_W, OH, OW, NCLS, G, KK, K, THRESH, PAD_STEP, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_BINARY_MVAU_H
#define BNF_BINARY_MVAU_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_rom.h"
#include "bnf_trips.h"

// bias words: per output fold, times the border classes without PAD_STEP; padded-step bits
#define BNF_MVAU_BIAS_WORDS(CFG) ((CFG::PAD_STEP ? 1 : CFG::NCLS) * (CFG::MH / CFG::PE))

// The kernel tap (ky, kx) of a vector's fold step, and the word within the tap (PAD_STEP).
template <int K, int WPT>
struct bnf_mvau_tap {
    int tj, kx, ky;
    bnf_mvau_tap() : tj(0), kx(0), ky(0) {}
    bool padded(ap_uint<K> rowmask, ap_uint<K> colmask) const { return rowmask[ky] || colmask[kx]; }
    void advance(bool last_step) {
#pragma HLS INLINE
        if (last_step) {
            tj = kx = ky = 0;
        } else if (tj != WPT - 1) {
            tj++;
        } else {
            tj = 0;
            if (kx == K - 1) {
                kx = 0;
                ky++;
            } else {
                kx++;
            }
        }
    }
};

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
                                     bool first, bool pad, ap_uint<OUT_W + THRESH> acc[PE]) {
#pragma HLS INLINE
    const int ACC_W = OUT_W + THRESH;
    ap_uint<OUT_TW> word = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
        const ap_uint<SIMD> agree = ~(x ^ w(p * SIMD + SIMD - 1, p * SIMD));
        const ap_uint<ACC_W> base = first ? ap_uint<ACC_W>(bias(p * ACC_W + ACC_W - 1, p * ACC_W)) : acc[p];
        // a padded step adds SIMD: +0 against the -MW in the bias
        const ap_uint<ACC_W> total = base + (pad ? ap_uint<16>(SIMD) : ap_uint<16>(2 * bnf_popcount<SIMD>(agree)));
        acc[p] = total;
        if (THRESH) {
            word[p] = !total[ACC_W - 1];  // dot - t >= 0
        } else {
            word(p * OUT_W + OUT_W - 1, p * OUT_W) = total;
        }
    }
    return word;
}

// G = 1: one process, one flat pipelined loop over the frame's OH*OW*NF*SF fold steps;
// output fold 0 takes the input words as they arrive and keeps them for the later folds.
template <class CFG>
void bnf_binary_mvau_dense(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                           const bnf_limb_t weights[(CFG::MH / CFG::PE) * (CFG::MW / CFG::SIMD)][BNF_LIMBS(CFG::PE * CFG::SIMD)],
                           const bnf_limb_t bias[BNF_MVAU_BIAS_WORDS(CFG)][BNF_LIMBS(CFG::PE *(CFG::OUT_W + CFG::THRESH))],
                           const bnf_limb_t rowbase[CFG::OH][1], const bnf_limb_t colbase[CFG::OW][1],
                           const bnf_limb_t rowpad[CFG::OH][1], const bnf_limb_t colpad[CFG::OW][1]) {
    const int MW = CFG::MW, MH = CFG::MH, PE = CFG::PE, SIMD = CFG::SIMD, OUT_W = CFG::OUT_W, OH = CFG::OH;
    const int OW = CFG::OW, THRESH = CFG::THRESH, OUT_TW = CFG::OUT_TW;
    const int SF = MW / SIMD, NF = MH / PE;
    ap_uint<OUT_W + THRESH> acc[PE];
#pragma HLS ARRAY_PARTITION variable = acc complete
#pragma HLS ARRAY_RESHAPE variable = weights complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = bias complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = rowbase complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = colbase complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = rowpad complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = colpad complete dim = 2
    ap_uint<SIMD> inbuf[SF];
    int step = 0, nf = 0, sf = 0, oy = 0, ox = 0;  // step = nf * SF + sf
    bnf_mvau_tap<CFG::K, SF / (CFG::K * CFG::K)> tap;
folds:
    for (int i = 0; i < OH * OW * NF * SF; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "folds");
        const int cls = rowbase[oy][0] + colbase[ox][0];  // border-class base (not PAD_STEP)
        ap_uint<SIMD> x;
        if (nf == 0) {
            x = in0_V.read();
            inbuf[sf] = x;
        } else {
            x = inbuf[sf];
        }
        const ap_uint<OUT_TW> word = bnf_binary_mvau_step<PE, SIMD, OUT_W, THRESH, OUT_TW>(
            x, bnf_rom<PE * SIMD>(weights[step]), bnf_rom<PE *(OUT_W + THRESH)>(bias[CFG::PAD_STEP ? nf : cls + nf]),
            sf == 0, CFG::PAD_STEP && tap.padded(rowpad[oy][0], colpad[ox][0]), acc);
        tap.advance(sf == SF - 1);
        if (sf == SF - 1) out0_V.write(word);
        step = step == NF * SF - 1 ? 0 : step + 1;
        if (sf == SF - 1) {
            sf = 0;
            if (nf == NF - 1) {
                nf = 0;
                if (ox == OW - 1) {
                    ox = 0;
                    oy++;
                } else {
                    ox++;
                }
            } else {
                nf++;
            }
        } else {
            sf++;
        }
    }
}

// Grouped: a pixel's vector arrives as KK taps x G groups x CGW = MW/(KK*SIMD) words, and
// output fold nf reads group nf / (NF/G)'s words. bnf_binary_mvau_split sends every input
// word to its group's stream (G*SF words a pixel); bnf_binary_mvau_group_folds takes a
// group's SF words in its first fold and keeps them for the group's other NF/G - 1 folds
// (NF*SF steps a pixel). Two DATAFLOW processes, so the next pixel's vector (and the next
// frame's first one) arrives while this pixel's folds run.
template <class CFG>
void bnf_binary_mvau_split(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::SIMD> > groups[CFG::G]) {
    const int G = CFG::G, SIMD = CFG::SIMD, SF = CFG::MW / CFG::SIMD, CGW = CFG::MW / (CFG::KK * CFG::SIMD);
    int j = 0, grp = 0;  // word within the group's run of CGW words, its group
split:
    for (int i = 0; i < CFG::OH * CFG::OW * G * SF; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "split");
        const ap_uint<SIMD> x = in0_V.read();
        for (int g = 0; g < G; g++) {
#pragma HLS UNROLL
            if (g == grp) groups[g].write(x);
        }
        if (j == CGW - 1) {
            j = 0;
            grp = grp == G - 1 ? 0 : grp + 1;
        } else {
            j++;
        }
    }
}

template <class CFG>
void bnf_binary_mvau_group_folds(hls::stream<ap_uint<CFG::SIMD> > groups[CFG::G],
                                 hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                                 const bnf_limb_t weights[(CFG::MH / CFG::PE) * (CFG::MW / CFG::SIMD)][BNF_LIMBS(CFG::PE * CFG::SIMD)],
                                 const bnf_limb_t bias[BNF_MVAU_BIAS_WORDS(CFG)][BNF_LIMBS(CFG::PE *(CFG::OUT_W + CFG::THRESH))],
                                 const bnf_limb_t rowbase[CFG::OH][1], const bnf_limb_t colbase[CFG::OW][1],
                                 const bnf_limb_t rowpad[CFG::OH][1], const bnf_limb_t colpad[CFG::OW][1]) {
    const int MW = CFG::MW, MH = CFG::MH, PE = CFG::PE, SIMD = CFG::SIMD, OUT_W = CFG::OUT_W, OH = CFG::OH;
    const int OW = CFG::OW, G = CFG::G, THRESH = CFG::THRESH, OUT_TW = CFG::OUT_TW;
    const int SF = MW / SIMD, NF = MH / PE, NFG = NF / G;
    ap_uint<OUT_W + THRESH> acc[PE];
#pragma HLS ARRAY_PARTITION variable = acc complete
#pragma HLS ARRAY_RESHAPE variable = weights complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = bias complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = rowbase complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = colbase complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = rowpad complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = colpad complete dim = 2
    ap_uint<SIMD> gbuf[SF];  // the current group's words
    int step = 0, nf = 0, sf = 0, fg = 0, grp = 0, oy = 0, ox = 0;  // step = nf * SF + sf, fg = nf % NFG
    bnf_mvau_tap<CFG::K, SF / (CFG::K * CFG::K)> tap;
folds:
    for (int i = 0; i < OH * OW * NF * SF; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "folds");
        const int cls = rowbase[oy][0] + colbase[ox][0];  // border-class base (not PAD_STEP)
        ap_uint<SIMD> x = 0;
        if (fg == 0) {
            for (int g = 0; g < G; g++) {
#pragma HLS UNROLL
                if (g == grp) x = groups[g].read();
            }
            gbuf[sf] = x;
        } else {
            x = gbuf[sf];
        }
        const ap_uint<OUT_TW> word = bnf_binary_mvau_step<PE, SIMD, OUT_W, THRESH, OUT_TW>(
            x, bnf_rom<PE * SIMD>(weights[step]), bnf_rom<PE *(OUT_W + THRESH)>(bias[CFG::PAD_STEP ? nf : cls + nf]),
            sf == 0, CFG::PAD_STEP && tap.padded(rowpad[oy][0], colpad[ox][0]), acc);
        tap.advance(sf == SF - 1);
        if (sf == SF - 1) out0_V.write(word);
        step = step == NF * SF - 1 ? 0 : step + 1;
        if (sf == SF - 1) {
            sf = 0;
            if (fg == NFG - 1) {
                fg = 0;
                grp = grp == G - 1 ? 0 : grp + 1;
            } else {
                fg++;
            }
            if (nf == NF - 1) {
                nf = 0;
                if (ox == OW - 1) {
                    ox = 0;
                    oy++;
                } else {
                    ox++;
                }
            } else {
                nf++;
            }
        } else {
            sf++;
        }
    }
}

template <class CFG>
void bnf_binary_mvau_grouped(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                             const bnf_limb_t weights[(CFG::MH / CFG::PE) * (CFG::MW / CFG::SIMD)][BNF_LIMBS(CFG::PE * CFG::SIMD)],
                             const bnf_limb_t bias[BNF_MVAU_BIAS_WORDS(CFG)][BNF_LIMBS(CFG::PE *(CFG::OUT_W + CFG::THRESH))],
                             const bnf_limb_t rowbase[CFG::OH][1], const bnf_limb_t colbase[CFG::OW][1],
                             const bnf_limb_t rowpad[CFG::OH][1], const bnf_limb_t colpad[CFG::OW][1]) {
#pragma HLS DATAFLOW
    enum { DEPTH = 2 * (CFG::MW / CFG::SIMD) };  // two pixels of a group's words
    hls::stream<ap_uint<CFG::SIMD> > groups[CFG::G];
#pragma HLS STREAM variable = groups depth = DEPTH
    bnf_binary_mvau_split<CFG>(in0_V, groups);
    bnf_binary_mvau_group_folds<CFG>(groups, out0_V, weights, bias, rowbase, colbase, rowpad, colpad);
}

template <class CFG>
void bnf_binary_mvau(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                     const bnf_limb_t weights[(CFG::MH / CFG::PE) * (CFG::MW / CFG::SIMD)][BNF_LIMBS(CFG::PE * CFG::SIMD)],
                     const bnf_limb_t bias[BNF_MVAU_BIAS_WORDS(CFG)][BNF_LIMBS(CFG::PE *(CFG::OUT_W + CFG::THRESH))],
                     const bnf_limb_t rowbase[CFG::OH][1], const bnf_limb_t colbase[CFG::OW][1],
                     const bnf_limb_t rowpad[CFG::OH][1], const bnf_limb_t colpad[CFG::OW][1]) {
    if (CFG::G == 1) {
        bnf_binary_mvau_dense<CFG>(in0_V, out0_V, weights, bias, rowbase, colbase, rowpad, colpad);
    } else {
        bnf_binary_mvau_grouped<CFG>(in0_V, out0_V, weights, bias, rowbase, colbase, rowpad, colpad);
    }
}

#endif
