// bnnforge: the rounding rule of the fixed-point stream for the HLS templates, the same as
// hw/rtl/bnf_round_shift.v and quant/fixed_point.np_round_shift:
// saturate(round_half_to_even(x / 2**shift)) to OUT_W signed bits.
#ifndef BNF_FIXED_H
#define BNF_FIXED_H

#include <ap_int.h>

template <int OUT_W, int IN_W>
ap_int<OUT_W> bnf_round_shift(ap_int<IN_W> x, int shift) {
#pragma HLS INLINE
    ap_int<IN_W + 1> q = x >> shift;  // arithmetic: floor(x / 2**shift)
    if (shift > 0) {
        ap_uint<IN_W + 1> mask = (ap_uint<IN_W + 1>(1) << shift) - 1;
        ap_uint<IN_W + 1> rem = ap_uint<IN_W + 1>(ap_int<IN_W + 1>(x)) & mask;
        ap_uint<IN_W + 1> half = ap_uint<IN_W + 1>(1) << (shift - 1);
        if (rem > half || (rem == half && q[0])) q += 1;
    }
    const ap_int<IN_W + 1> hi = (ap_int<IN_W + 2>(1) << (OUT_W - 1)) - 1;
    const ap_int<IN_W + 1> lo = -(ap_int<IN_W + 2>(1) << (OUT_W - 1));
    if (OUT_W <= IN_W) {
        if (q > hi) q = hi;
        if (q < lo) q = lo;
    }
    return ap_int<OUT_W>(q);
}

#endif
