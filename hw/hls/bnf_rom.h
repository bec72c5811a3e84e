// bnnforge: how the templates read their constant parameter arrays (weights, thresholds,
// biases, affine and activation parameters), Vivado/Vitis HLS.
//
// An array of N words of W bits is generated as N rows of BNF_LIMBS(W) 64-bit limbs, least
// significant limb first:
//     static const unsigned long long NAME[N][BNF_LIMBS(W)] = {{0x...ULL, ...}, ...};
// and a template reads word i as bnf_rom<W>(NAME[i]).
//
// Why not `ap_uint<W> NAME[N]`: ap_uint has no constexpr constructor, so g++ builds such an
// array at program start, every element in one static-initializer function whose compile
// time grows faster than the number of elements (the 49,613 words of a 32x32 BCDNet-A took
// more than 14 minutes). Plain integers are data: the same words compile in seconds.
// For synthesis, each template reshapes its arrays with `ARRAY_RESHAPE complete dim = 2`, so
// one row becomes one ROM word of 64 * BNF_LIMBS(W) bits (the unused top bits are constant
// zero) and a read is one access, as with an ap_uint<W> array.
#ifndef BNF_ROM_H
#define BNF_ROM_H

#include <ap_int.h>

typedef unsigned long long bnf_limb_t;

#define BNF_LIMBS(W) (((W) + 63) / 64)

template <int W>
ap_uint<W> bnf_rom(const bnf_limb_t row[BNF_LIMBS(W)]) {
#pragma HLS INLINE
    ap_uint<64 * BNF_LIMBS(W)> word = 0;
    for (int l = 0; l < BNF_LIMBS(W); l++) {
#pragma HLS UNROLL
        word(64 * l + 63, 64 * l) = row[l];
    }
    return word(W - 1, 0);
}

#endif
