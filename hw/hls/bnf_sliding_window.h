// bnnforge: sliding-window generator (im2col on the stream) for K x K convolutions,
// Vivado/Vitis HLS. Same words as hw/rtl/bnf_sliding_window.v: G elements of EB bits per
// input word, SIMD per output word, windows in (ky, kx, c) order, padded taps PAD_VALUE.
//
// One frame per call. The RTL streams frames back to back: its writer fetches the next
// frame's first rows while the reader finishes a frame, max(input words, output words)
// cycles per frame. One call per frame cannot overlap frames inside one loop, so the frame's
// head (HEADPIX pixels: those the first window needs, the RTL's latency, or more where a
// later window would otherwise wait; bnf_sliding_window_geometry) takes its own path, in a
// DATAFLOW region of three processes:
//   - bnf_sliding_window_split reads every input word: the head's to the head process, the
//     rest (the tail) to the window process (IN_N words);
//   - bnf_sliding_window_head writes the head into an array HLS makes a ping-pong (PIPO)
//     buffer, so the next frame's head loads while this frame's windows leave (HEADW words);
//   - bnf_sliding_window_windows holds the tail in a line buffer of BUF unpadded input rows
//     (padding is virtual) and reads taps from the head or the line buffer. Each step of its
//     one pipelined loop may take one tail word and emit one output word, like the RTL: a
//     word leaves once the last pixel its window needs is in, and a pixel comes in only
//     while its row is fewer than BUF rows below the window's first row. It starts with the
//     head in place, so it emits from its first step (at most max(IN_N, OUT_N) steps).
// Each of the R = SIMD/G lanes reads its own copy of the buffers (one read port each).
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_sliding_window: H, W, C, K, S, P, PAD_VALUE, EB, SIMD, G, BUF, IN_TW, OUT_TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_SLIDING_WINDOW_H
#define BNF_SLIDING_WINDOW_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_trips.h"

// max over o in [0, N) of V(o) = min(o*S - P + K - 1, LIM - 1) * PER_IN - o * PER_OUT: along one
// axis, the input words the window at o needs beyond the output words before it. V is concave
// (a clipped rising line minus a line), so the maximum is at an end or beside the kink.
template <int N, int S, int P, int K, int LIM, int PER_IN, int PER_OUT>
struct bnf_sliding_window_lead {
    enum {
        KINK = LIM - K + P <= 0 ? 0 : (LIM - K + P + S - 1) / S,  // the first clipped o
        O1 = KINK < N - 1 ? KINK : N - 1,
        O2 = KINK - 1 < 0 ? 0 : (KINK - 1 < N - 1 ? KINK - 1 : N - 1),
        V0 = ((K - 1 - P) < LIM - 1 ? K - 1 - P : LIM - 1) * PER_IN,
        V1 = ((O1 * S - P + K - 1) < LIM - 1 ? O1 * S - P + K - 1 : LIM - 1) * PER_IN - O1 * PER_OUT,
        V2 = ((O2 * S - P + K - 1) < LIM - 1 ? O2 * S - P + K - 1 : LIM - 1) * PER_IN - O2 * PER_OUT,
        V3 = (((N - 1) * S - P + K - 1) < LIM - 1 ? (N - 1) * S - P + K - 1 : LIM - 1) * PER_IN - (N - 1) * PER_OUT,
        V01 = V0 > V1 ? V0 : V1,
        V23 = V2 > V3 ? V2 : V3,
        MAX = V01 > V23 ? V01 : V23
    };
};

template <class CFG>
struct bnf_sliding_window_geometry {
    enum {
        H = CFG::H, W = CFG::W, K = CFG::K, S = CFG::S, P = CFG::P,
        OH = (H + 2 * P - K) / S + 1,
        OW = (W + 2 * P - K) / S + 1,
        CG = CFG::C / CFG::G,     // input words a pixel
        R = CFG::SIMD / CFG::G,   // lanes: chunks an output word
        NWD = K * K * CG / R,     // output words a window
        IN_N = H * W * CG,
        OUT_N = OH * OW * NWD,
        DEPTH = CFG::BUF * W * CG,
        GB = CFG::G * CFG::EB,
        // The head: the window process takes a tail word and emits an output word per step,
        // so window n (first word out at step n*NWD) needs its last pixel's words in by then:
        // HEADW >= (last pixel + 1) * CG - n * NWD for every window, less the steps an
        // input-bound frame has to spare; and at least the first window's pixels (the RTL's
        // latency). The bound separates into rows and columns.
        Y0 = K - 1 - P < H - 1 ? K - 1 - P : H - 1,
        X0 = K - 1 - P < W - 1 ? K - 1 - P : W - 1,
        FIRST = Y0 * W + X0 + 1 < 1 ? 1 : Y0 * W + X0 + 1,
        SPARE = IN_N > OUT_N ? IN_N - OUT_N : 0,
        NEED = bnf_sliding_window_lead<OH, S, P, K, H, W * CG, OW * NWD>::MAX +
               bnf_sliding_window_lead<OW, S, P, K, W, CG, NWD>::MAX + CG - SPARE,
        NEEDPIX = NEED <= 0 ? 0 : (NEED + CG - 1) / CG,
        HEADPIX0 = NEEDPIX > FIRST ? NEEDPIX : FIRST,
        HEADPIX = HEADPIX0 < H * W ? HEADPIX0 : H * W,
        HEADW = HEADPIX * CG
    };
};

template <class CFG>
void bnf_sliding_window_split(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::IN_TW> > &head_in,
                              hls::stream<ap_uint<CFG::IN_TW> > &tail) {
    typedef bnf_sliding_window_geometry<CFG> GEO;
split:
    for (int i = 0; i < GEO::IN_N; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "split");
        const ap_uint<CFG::IN_TW> w = in0_V.read();
        if (i < GEO::HEADW) {
            head_in.write(w);
        } else {
            tail.write(w);
        }
    }
}

template <class CFG>
void bnf_sliding_window_head(hls::stream<ap_uint<CFG::IN_TW> > &head_in,
                             ap_uint<bnf_sliding_window_geometry<CFG>::GB>
                                 head[bnf_sliding_window_geometry<CFG>::R][bnf_sliding_window_geometry<CFG>::HEADW]) {
    typedef bnf_sliding_window_geometry<CFG> GEO;
head:
    for (int i = 0; i < GEO::HEADW; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "head");
        const ap_uint<CFG::IN_TW> w = head_in.read();
        for (int j = 0; j < GEO::R; j++) {
#pragma HLS UNROLL
            head[j][i] = w(GEO::GB - 1, 0);
        }
    }
}

template <class CFG>
void bnf_sliding_window_windows(const ap_uint<bnf_sliding_window_geometry<CFG>::GB>
                                    head[bnf_sliding_window_geometry<CFG>::R][bnf_sliding_window_geometry<CFG>::HEADW],
                                hls::stream<ap_uint<CFG::IN_TW> > &tail, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    typedef bnf_sliding_window_geometry<CFG> GEO;
    const int H = CFG::H, W = CFG::W, K = CFG::K, S = CFG::S, P = CFG::P, BUF = CFG::BUF, OUT_TW = CFG::OUT_TW;
    const int OW = GEO::OW, CG = GEO::CG, R = GEO::R, NWD = GEO::NWD, IN_N = GEO::IN_N, OUT_N = GEO::OUT_N;
    const int DEPTH = GEO::DEPTH, GB = GEO::GB, HEADPIX = GEO::HEADPIX;
    ap_uint<GB> buf[R][DEPTH];
#pragma HLS ARRAY_PARTITION variable = buf complete dim = 1
    ap_uint<GB> pad_word = 0;
    for (int e = 0; e < CFG::G; e++) {
#pragma HLS UNROLL
        pad_word(e * CFG::EB + CFG::EB - 1, e * CFG::EB) = CFG::PAD_VALUE;
    }

    // writer: words and whole pixels in (the head's first), buffer address
    int nin = GEO::HEADW, wpix = HEADPIX, wcc = 0, waddr = GEO::HEADW % DEPTH;
    int nout = 0, wi = 0, oy = 0, ox = 0;  // reader
windows:
    while (nin < IN_N || nout < OUT_N) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "windows");
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
                const int pix = y * W + x;
                const ap_uint<GB> chunk = !in_image        ? pad_word
                                          : pix < HEADPIX ? head[j][pix * CG + cc]
                                                          : buf[j][((y % BUF) * W + x) * CG + cc];
                word(j * GB + GB - 1, j * GB) = chunk;
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
            const ap_uint<CFG::IN_TW> w = tail.read();
            for (int j = 0; j < R; j++) {
#pragma HLS UNROLL
                buf[j][waddr] = w(GB - 1, 0);
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

template <class CFG>
void bnf_sliding_window(hls::stream<ap_uint<CFG::IN_TW> > &in0_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
#pragma HLS DATAFLOW
    typedef bnf_sliding_window_geometry<CFG> GEO;
    enum { TAIL_DEPTH = CFG::W * GEO::CG };  // a row of slack: stalls are outside the trip model
    hls::stream<ap_uint<CFG::IN_TW> > head_in("head_in"), tail("tail");
#pragma HLS STREAM variable = tail depth = TAIL_DEPTH
    ap_uint<GEO::GB> head[GEO::R][GEO::HEADW];
#pragma HLS ARRAY_PARTITION variable = head complete dim = 1
    bnf_sliding_window_split<CFG>(in0_V, head_in, tail);
    bnf_sliding_window_head<CFG>(head_in, head);
    bnf_sliding_window_windows<CFG>(head, tail, out0_V);
}

#endif
