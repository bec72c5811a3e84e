// bnnforge: sliding-window generator (im2col on the stream) for K x K convolutions,
// Vivado/Vitis HLS. Same words as hw/rtl/bnf_sliding_window.v: G elements of EB bits per
// input word, SIMD per output word, windows in (ky, kx, c) order, padded taps PAD_VALUE.
//
// One frame per call. The line buffer holds BUF unpadded input rows (padding is virtual);
// each iteration of the single pipelined loop may read one input word and emit one output
// word, like the RTL: a word leaves once the last pixel its window needs is in, and a
// pixel comes in only while its row is fewer than BUF rows below the window's first row.
// Each of the R = SIMD/G lanes reads its own copy of the buffer (one read port each).
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_sliding_window: H, W, C, K, S, P, PAD_VALUE, EB, SIMD, G, BUF, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_SLIDING_WINDOW_H
#define BNF_SLIDING_WINDOW_H

#include <ap_int.h>
#include <hls_stream.h>

template <class CFG>
void bnf_sliding_window(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int H = CFG::H, W = CFG::W, C = CFG::C, K = CFG::K, S = CFG::S, P = CFG::P, PAD_VALUE = CFG::PAD_VALUE;
    const int EB = CFG::EB, SIMD = CFG::SIMD, G = CFG::G, BUF = CFG::BUF, IN_TW = CFG::IN_TW, OUT_TW = CFG::OUT_TW;
    const int OH = (H + 2 * P - K) / S + 1, OW = (W + 2 * P - K) / S + 1;
    const int CG = C / G, R = SIMD / G, NWD = K * K * CG / R;
    const int IN_N = H * W * CG, OUT_N = OH * OW * NWD, DEPTH = BUF * W * CG;
    ap_uint<G * EB> buf[R][DEPTH];
#pragma HLS ARRAY_PARTITION variable = buf complete dim = 1
    ap_uint<G * EB> pad_word = 0;
    for (int e = 0; e < G; e++) pad_word(e * EB + EB - 1, e * EB) = PAD_VALUE;

    int nin = 0, wpix = 0, wcc = 0, waddr = 0;  // writer: words, whole pixels, buffer address
    int nout = 0, wi = 0, oy = 0, ox = 0;                      // reader
steps:
    for (int t = 0; t < IN_N + OUT_N; t++) {
#pragma HLS PIPELINE II = 1
        if (nin == IN_N && nout == OUT_N) break;
        const int iy0 = oy * S - P, ix0 = ox * S - P;
        const int yhi = iy0 + K - 1 < H - 1 ? iy0 + K - 1 : H - 1, xhi = ix0 + K - 1 < W - 1 ? ix0 + K - 1 : W - 1;
        const int lo = iy0 > 0 ? iy0 : 0;
        const bool emit = nout < OUT_N && wpix > yhi * W + xhi;
        const bool take = nin < IN_N && wpix < (lo + BUF) * W;
        if (emit) {
            ap_uint<OUT_TW> word = 0;
            for (int j = 0; j < R; j++) {
#pragma HLS UNROLL
                const int q = wi * R + j, tap = q / CG, cc = q % CG;
                const int y = iy0 + tap / K, x = ix0 + tap % K;
                const bool in_image = y >= 0 && y < H && x >= 0 && x < W;
                const ap_uint<G * EB> chunk = in_image ? buf[j][((y % BUF) * W + x) * CG + cc] : pad_word;
                word(j * G * EB + G * EB - 1, j * G * EB) = chunk;
            }
            out0_V.write(word);
            nout++;
            if (++wi == NWD) {
                wi = 0;
                if (++ox == OW) {
                    ox = 0;
                    oy++;
                }
            }
        }
        if (take) {
            const ap_uint<IN_TW> w = in0_V.read();
            for (int j = 0; j < R; j++) {
#pragma HLS UNROLL
                buf[j][waddr] = w(G * EB - 1, 0);
            }
            nin++;
            waddr = waddr == DEPTH - 1 ? 0 : waddr + 1;
            if (++wcc == CG) {
                wcc = 0;
                wpix++;
            }
        }
    }
}

#endif
