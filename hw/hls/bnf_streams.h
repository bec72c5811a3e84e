// bnnforge: stream plumbing for Vivado/Vitis HLS, one frame per call: fork (bnf_duplicate),
// channel concatenation (bnf_concat) and channel slice (bnf_channel_slice). Same words as
// hw/rtl/bnf_duplicate.v, bnf_concat.v and bnf_channel_slice.v. A C++ function has a fixed
// number of stream arguments, so the fork and the concat are overloaded on their number of
// output / input streams (2 to 4), and the generated top calls the one that fits.
//
// The entry templates take one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_duplicate (2, 3, 4 outputs): WORDS, TW
//   bnf_concat (1 input): PIXELS, F0, TW; 2 inputs: PIXELS, F0, F1, TW; 3: PIXELS, F0, F1, F2, TW;
//     4: PIXELS, F0, F1, F2, F3, TW
//   bnf_concat_par (2 inputs): PIXELS, EB, C0, C1, TW0, TW1, OUT_TW;
//     3: PIXELS, EB, C0, C1, C2, TW0, TW1, TW2, OUT_TW;
//     4: PIXELS, EB, C0, C1, C2, C3, TW0, TW1, TW2, TW3, OUT_TW
//   bnf_channel_slice: PIXELS, CF, FIRST, END, TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_STREAMS_H
#define BNF_STREAMS_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_trips.h"

// ---- fork: every input word to each output; WORDS words per frame -------------------------
template <class CFG>
void bnf_duplicate(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &out0_V,
                   hls::stream<ap_uint<CFG::TW> > &out1_V) {
    const int WORDS = CFG::WORDS, TW = CFG::TW;
words:
    for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<TW> w = in0_V.read();
        out0_V.write(w);
        out1_V.write(w);
    }
}

template <class CFG>
void bnf_duplicate(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &out0_V,
                   hls::stream<ap_uint<CFG::TW> > &out1_V, hls::stream<ap_uint<CFG::TW> > &out2_V) {
    const int WORDS = CFG::WORDS, TW = CFG::TW;
words:
    for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<TW> w = in0_V.read();
        out0_V.write(w);
        out1_V.write(w);
        out2_V.write(w);
    }
}

template <class CFG>
void bnf_duplicate(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &out0_V,
                   hls::stream<ap_uint<CFG::TW> > &out1_V, hls::stream<ap_uint<CFG::TW> > &out2_V,
                   hls::stream<ap_uint<CFG::TW> > &out3_V) {
    const int WORDS = CFG::WORDS, TW = CFG::TW;
words:
    for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<TW> w = in0_V.read();
        out0_V.write(w);
        out1_V.write(w);
        out2_V.write(w);
        out3_V.write(w);
    }
}

// ---- channel concatenation: per pixel F0 words of in0_V, then F1 of in1_V, ... ------------
// (Fi = Ci / PE). One flat loop over the frame's words keeps II = 1 across the inputs.
template <class CFG>
void bnf_concat(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &out0_V) {
    const int PIXELS = CFG::PIXELS, F0 = CFG::F0;
words:
    for (int i = 0; i < PIXELS * F0; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        out0_V.write(in0_V.read());
    }
}

template <class CFG>
void bnf_concat(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &in1_V,
                hls::stream<ap_uint<CFG::TW> > &out0_V) {
    const int PIXELS = CFG::PIXELS, F0 = CFG::F0, F1 = CFG::F1;
    int j = 0;  // word within the pixel
words:
    for (int i = 0; i < PIXELS * (F0 + F1); i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        out0_V.write(j < F0 ? in0_V.read() : in1_V.read());
        j = j == F0 + F1 - 1 ? 0 : j + 1;
    }
}

template <class CFG>
void bnf_concat(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &in1_V,
                hls::stream<ap_uint<CFG::TW> > &in2_V, hls::stream<ap_uint<CFG::TW> > &out0_V) {
    const int PIXELS = CFG::PIXELS, F0 = CFG::F0, F1 = CFG::F1, F2 = CFG::F2;
    int j = 0;
words:
    for (int i = 0; i < PIXELS * (F0 + F1 + F2); i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        out0_V.write(j < F0 ? in0_V.read() : j < F0 + F1 ? in1_V.read() : in2_V.read());
        j = j == F0 + F1 + F2 - 1 ? 0 : j + 1;
    }
}

template <class CFG>
void bnf_concat(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &in1_V,
                hls::stream<ap_uint<CFG::TW> > &in2_V, hls::stream<ap_uint<CFG::TW> > &in3_V,
                hls::stream<ap_uint<CFG::TW> > &out0_V) {
    const int PIXELS = CFG::PIXELS, F0 = CFG::F0, F1 = CFG::F1, F2 = CFG::F2, F3 = CFG::F3;
    int j = 0;
words:
    for (int i = 0; i < PIXELS * (F0 + F1 + F2 + F3); i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        out0_V.write(j < F0 ? in0_V.read()
                     : j < F0 + F1 ? in1_V.read()
                     : j < F0 + F1 + F2 ? in2_V.read()
                                        : in3_V.read());
        j = j == F0 + F1 + F2 + F3 - 1 ? 0 : j + 1;
    }
}

// ---- channel concatenation at one pixel per cycle (PE = all channels): a word of every
// input, in0_V's channels in the low bits ------------------------------------------------
template <class CFG>
void bnf_concat_par(hls::stream<ap_uint<CFG::TW0> > &in0_V, hls::stream<ap_uint<CFG::TW1> > &in1_V,
                    hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int PIXELS = CFG::PIXELS, EB = CFG::EB, C0 = CFG::C0, C1 = CFG::C1, OUT_TW = CFG::OUT_TW;
pixels:
    for (int i = 0; i < PIXELS; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "pixels");
        ap_uint<OUT_TW> y = 0;
        y(C0 * EB - 1, 0) = in0_V.read()(C0 * EB - 1, 0);
        y((C0 + C1) * EB - 1, C0 * EB) = in1_V.read()(C1 * EB - 1, 0);
        out0_V.write(y);
    }
}

template <class CFG>
void bnf_concat_par(hls::stream<ap_uint<CFG::TW0> > &in0_V, hls::stream<ap_uint<CFG::TW1> > &in1_V,
                    hls::stream<ap_uint<CFG::TW2> > &in2_V, hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int PIXELS = CFG::PIXELS, EB = CFG::EB, C0 = CFG::C0, C1 = CFG::C1, C2 = CFG::C2, OUT_TW = CFG::OUT_TW;
pixels:
    for (int i = 0; i < PIXELS; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "pixels");
        ap_uint<OUT_TW> y = 0;
        y(C0 * EB - 1, 0) = in0_V.read()(C0 * EB - 1, 0);
        y((C0 + C1) * EB - 1, C0 * EB) = in1_V.read()(C1 * EB - 1, 0);
        y((C0 + C1 + C2) * EB - 1, (C0 + C1) * EB) = in2_V.read()(C2 * EB - 1, 0);
        out0_V.write(y);
    }
}

template <class CFG>
void bnf_concat_par(hls::stream<ap_uint<CFG::TW0> > &in0_V, hls::stream<ap_uint<CFG::TW1> > &in1_V,
                    hls::stream<ap_uint<CFG::TW2> > &in2_V, hls::stream<ap_uint<CFG::TW3> > &in3_V,
                    hls::stream<ap_uint<CFG::OUT_TW> > &out0_V) {
    const int PIXELS = CFG::PIXELS, EB = CFG::EB, C0 = CFG::C0, C1 = CFG::C1, C2 = CFG::C2, C3 = CFG::C3;
    const int OUT_TW = CFG::OUT_TW;
pixels:
    for (int i = 0; i < PIXELS; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "pixels");
        ap_uint<OUT_TW> y = 0;
        y(C0 * EB - 1, 0) = in0_V.read()(C0 * EB - 1, 0);
        y((C0 + C1) * EB - 1, C0 * EB) = in1_V.read()(C1 * EB - 1, 0);
        y((C0 + C1 + C2) * EB - 1, (C0 + C1) * EB) = in2_V.read()(C2 * EB - 1, 0);
        y((C0 + C1 + C2 + C3) * EB - 1, (C0 + C1 + C2) * EB) = in3_V.read()(C3 * EB - 1, 0);
        out0_V.write(y);
    }
}

// ---- channel slice: of the CF input words per pixel, words FIRST..END-1 pass, the rest are
// read and dropped (the unit runs at its input's rate) -------------------------------------
template <class CFG>
void bnf_channel_slice(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &out0_V) {
    const int PIXELS = CFG::PIXELS, CF = CFG::CF, FIRST = CFG::FIRST, END = CFG::END, TW = CFG::TW;
    int j = 0;
words:
    for (int i = 0; i < PIXELS * CF; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "words");
        const ap_uint<TW> w = in0_V.read();
        if (j >= FIRST && j < END) out0_V.write(w);
        j = j == CF - 1 ? 0 : j + 1;
    }
}

#endif
