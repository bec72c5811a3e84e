// bnnforge: average pooling of the fixed-point stream, Vivado/Vitis HLS; one frame per call,
// the same words as hw/rtl/bnf_avg_pool.v. KH x KW windows with stride KH x KW (KH = H,
// KW = W: the global pool); a trailing row or column that fills no window is dropped.
// y = saturate(round_half_even(window sum / (KH*KW))), exactly, without a divider.
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_avg_pool: H, W, C, PE, IN_W, OUT_W, KH, KW, LD, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_AVG_POOL_H
#define BNF_AVG_POOL_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_fixed.h"
#include "bnf_trips.h"

// round_half_even(s / D) saturated to OUT_W bits, for sums s of D codes of IN_W bits
// (LD = clog2(D)). A power of two is bnf_round_shift; otherwise the reciprocal multiply of
// bnf_avg_pool.v: n = s + D*2**(IN_W-1) >= 0, n * ceil(2**KS / D) = q * 2**KS + f with
// q = floor(n / D), and f tells 2r < D, 2r == D or 2r > D for the remainder r.
template <int D, int LD, int IN_W, int OUT_W>
ap_int<OUT_W> bnf_round_div(ap_int<IN_W + LD> s) {
#pragma HLS INLINE
    enum { AW = IN_W + LD, KS = AW + LD + 1, MW = AW + 2 };
    if ((D & (D - 1)) == 0) return bnf_round_shift<OUT_W, AW>(s, LD);
    const ap_uint<KS + 1> pow2 = ap_uint<KS + 1>(1) << KS;
    const ap_uint<MW> m = (pow2 + (D - 1)) / D;
    const ap_uint<AW> n = ap_uint<AW>(s) + (ap_uint<AW>(D) << (IN_W - 1));
    const ap_uint<AW + MW> prod = ap_uint<AW + MW>(n) * m;
    const ap_uint<IN_W> q = prod(KS + IN_W - 1, KS);
    const ap_uint<KS> f = prod(KS - 1, 0);
    const ap_uint<KS> above_from = (ap_uint<KS>(1) << (KS - 1)) + (ap_uint<KS>(1) << AW);
    const bool above = f >= above_from;             // 2r > D
    const bool tie = f[KS - 1] && !above;           // 2r == D
    const ap_int<IN_W + 2> r = ap_int<IN_W + 2>(q) + ap_int<IN_W + 2>(above || (tie && q[0])) -
                               (ap_int<IN_W + 2>(1) << (IN_W - 1));
    return bnf_round_shift<OUT_W, IN_W + 1>(ap_int<IN_W + 1>(r), 0);
}

template <class CFG>
void bnf_avg_pool(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int H = CFG::H, W = CFG::W, C = CFG::C, PE = CFG::PE, IN_W = CFG::IN_W, OUT_W = CFG::OUT_W, KH = CFG::KH;
    const int KW = CFG::KW, LD = CFG::LD, IN_TW = CFG::IN_TW, OUT_TW = CFG::OUT_TW;
    enum { CF = C / PE, OW = W / KW, XLIM = (W / KW) * KW, YLIM = (H / KH) * KH, AW = IN_W + LD };
    // partial window sums of one output row
    ap_int<AW> rowbuf[OW * CF][PE];
#pragma HLS ARRAY_PARTITION variable = rowbuf complete dim = 2
    int cf = 0, x = 0, y = 0, kx = 0, ky = 0, base = 0;
words:
    for (int i = 0; i < H * W * CF; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<IN_TW> word = in0_V.read();
        const bool inside = x < XLIM && y < YLIM;
        const bool first = kx == 0 && ky == 0;
        const bool emit = inside && kx == KW - 1 && ky == KH - 1;
        ap_uint<OUT_TW> out = 0;
        for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
            const ap_int<IN_W> xp = word(p * IN_W + IN_W - 1, p * IN_W);
            const ap_int<AW> prev = (first || !inside) ? ap_int<AW>(0) : rowbuf[base + cf][p];
            const ap_int<AW> sum = prev + xp;
            if (inside) rowbuf[base + cf][p] = sum;
            out(p * OUT_W + OUT_W - 1, p * OUT_W) = ap_uint<OUT_W>(bnf_round_div<KH * KW, LD, IN_W, OUT_W>(sum));
        }
        if (emit) out0_V.write(out);
        if (cf == CF - 1) {
            cf = 0;
            if (x == W - 1) {
                x = 0;
                kx = 0;
                base = 0;
                ky = (y == H - 1 || ky == KH - 1) ? 0 : ky + 1;
                y = (y == H - 1) ? 0 : y + 1;
            } else {
                x++;
                if (kx == KW - 1) {
                    kx = 0;
                    base += CF;
                } else {
                    kx++;
                }
            }
        } else {
            cf++;
        }
    }
}

#endif
