// bnnforge: integer matrix-vector unit (8-bit layers), Vivado/Vitis HLS.
// Same stream words, folding and arithmetic as hw/rtl/bnf_int_mvau.v: per output vector
// MW/SIMD input words in (SIMD codes of IN_W bits), MH/PE output words of PE lanes out;
// bnf_int_mvau_acc streams the accumulators, bnf_int_mvau_requant adds the bias and rounds
// (bnf_round_shift). One frame (PIXELS vectors) per call: a perfect loop nest HLS flattens
// into one pipelined loop of PIXELS*MH/PE*MW/SIMD steps.
//
// The entry templates take one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_int_mvau_acc: MW, MH, PE, SIMD, IN_W, IN_SIGNED, W_W, ACC_W, OUT_W, PIXELS, IN_TW, OUT_TW
//   bnf_int_mvau_requant: MW, MH, PE, SIMD, IN_W, IN_SIGNED, W_W, ACC_W, OUT_W, PIXELS, RSHIFT, LSHIFT,
//     SAT_W, BIAS_W, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_INT_MVAU_H
#define BNF_INT_MVAU_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_fixed.h"
#include "bnf_rom.h"
#include "bnf_trips.h"

template <class CFG, int MW, int MH, int PE, int SIMD, int IN_W, int IN_SIGNED, int W_W, int ACC_W, int OUT_W, int PIXELS,
          int REQUANT, int RSHIFT, int LSHIFT, int SAT_W, int BIAS_W, int IN_TW, int OUT_TW>
void bnf_int_mvau_core(hls::stream<ap_uint<IN_TW> > &in0_V, hls::stream<ap_uint<OUT_TW> > &out0_V,
                       const bnf_limb_t weights[(MH / PE) * (MW / SIMD)][BNF_LIMBS(PE * SIMD * W_W)],
                       const bnf_limb_t biases[MH / PE][BNF_LIMBS(PE * BIAS_W)]) {
#pragma HLS INLINE
#pragma HLS ARRAY_RESHAPE variable = weights complete dim = 2
#pragma HLS ARRAY_RESHAPE variable = biases complete dim = 2
    const int SF = MW / SIMD, NF = MH / PE;
    const int PW = IN_W + 1 + W_W;                 // exact product width
    const int AW = ACC_W > PW ? ACC_W : PW;        // accumulator width
    const int S_W = (AW + LSHIFT > BIAS_W + RSHIFT ? AW + LSHIFT : BIAS_W + RSHIFT) + 1;
    ap_uint<SIMD * IN_W> inbuf[SF];
    ap_int<AW> acc[PE];
#pragma HLS ARRAY_PARTITION variable = acc complete
pixels:
    for (int pix = 0; pix < PIXELS; pix++) {
    folds:
        for (int step = 0; step < NF * SF; step++) {
#pragma HLS PIPELINE II = 1
            BNF_TRIP(CFG, "folds");
            const int nf = step / SF, sf = step % SF;
            ap_uint<SIMD * IN_W> x;
            if (nf == 0) {
                x = ap_uint<SIMD * IN_W>(in0_V.read());
                inbuf[sf] = x;
            } else {
                x = inbuf[sf];
            }
            const ap_uint<PE * SIMD * W_W> w = bnf_rom<PE * SIMD * W_W>(weights[step]);
            const ap_uint<PE * BIAS_W> b = bnf_rom<PE * BIAS_W>(biases[nf]);
            ap_uint<OUT_TW> word = 0;
            for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
                ap_int<AW> sum = 0;
                for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
                    const ap_uint<IN_W> xc = x(s * IN_W + IN_W - 1, s * IN_W);
                    const ap_int<IN_W + 1> xs = IN_SIGNED ? ap_int<IN_W + 1>(ap_int<IN_W>(xc)) : ap_int<IN_W + 1>(xc);
                    const ap_int<W_W> ws = w((p * SIMD + s) * W_W + W_W - 1, (p * SIMD + s) * W_W);
                    const ap_int<PW> prod = xs * ws;
                    sum += prod;
                }
                const ap_int<AW> total = (sf == 0 ? ap_int<AW>(0) : acc[p]) + sum;
                acc[p] = total;
                ap_int<OUT_W> y;
                if (REQUANT) {
                    const ap_int<BIAS_W> bp = b(p * BIAS_W + BIAS_W - 1, p * BIAS_W);
                    const ap_int<S_W> t = (ap_int<S_W>(total) << LSHIFT) + (ap_int<S_W>(bp) << RSHIFT);
                    y = bnf_round_shift<SAT_W, S_W>(t, RSHIFT);  // sign-extends to OUT_W >= SAT_W
                } else {
                    y = total;  // out_dtype holds every accumulator value
                }
                word(p * OUT_W + OUT_W - 1, p * OUT_W) = ap_uint<OUT_W>(y);
            }
            if (sf == SF - 1) out0_V.write(word);
        }
    }
}

// mode "acc": the accumulators, OUT_W bits each
template <class CFG>
void bnf_int_mvau_acc(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                      const bnf_limb_t weights[(CFG::MH / CFG::PE) * (CFG::MW / CFG::SIMD)]
                                              [BNF_LIMBS(CFG::PE * CFG::SIMD * CFG::W_W)]) {
    const int MW = CFG::MW, MH = CFG::MH, PE = CFG::PE, SIMD = CFG::SIMD, IN_W = CFG::IN_W;
    const int IN_SIGNED = CFG::IN_SIGNED, W_W = CFG::W_W, ACC_W = CFG::ACC_W, OUT_W = CFG::OUT_W;
    const int PIXELS = CFG::PIXELS, IN_TW = CFG::IN_TW, OUT_TW = CFG::OUT_TW;
    const bnf_limb_t nobias[MH / PE][BNF_LIMBS(PE)] = {};  // never read with REQUANT = 0
    bnf_int_mvau_core<CFG, MW, MH, PE, SIMD, IN_W, IN_SIGNED, W_W, ACC_W, OUT_W, PIXELS, 0, 0, 0, OUT_W, 1, IN_TW, OUT_TW>(
        in0_V, out0_V, weights, nobias);
}

// mode "requant": saturate(round_half_even((acc * 2**LSHIFT + bias * 2**RSHIFT) / 2**RSHIFT))
template <class CFG>
void bnf_int_mvau_requant(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V,
                          const bnf_limb_t weights[(CFG::MH / CFG::PE) * (CFG::MW / CFG::SIMD)]
                                                  [BNF_LIMBS(CFG::PE * CFG::SIMD * CFG::W_W)],
                          const bnf_limb_t biases[CFG::MH / CFG::PE][BNF_LIMBS(CFG::PE * CFG::BIAS_W)]) {
    const int MW = CFG::MW, MH = CFG::MH, PE = CFG::PE, SIMD = CFG::SIMD, IN_W = CFG::IN_W;
    const int IN_SIGNED = CFG::IN_SIGNED, W_W = CFG::W_W, ACC_W = CFG::ACC_W, OUT_W = CFG::OUT_W;
    const int PIXELS = CFG::PIXELS, RSHIFT = CFG::RSHIFT, LSHIFT = CFG::LSHIFT, SAT_W = CFG::SAT_W;
    const int BIAS_W = CFG::BIAS_W, IN_TW = CFG::IN_TW, OUT_TW = CFG::OUT_TW;
    bnf_int_mvau_core<CFG, MW, MH, PE, SIMD, IN_W, IN_SIGNED, W_W, ACC_W, OUT_W, PIXELS, 1, RSHIFT, LSHIFT, SAT_W, BIAS_W,
                      IN_TW, OUT_TW>(in0_V, out0_V, weights, biases);
}

#endif
