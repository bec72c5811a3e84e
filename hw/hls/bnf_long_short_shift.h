// bnnforge: BCDNet long-short range circular shift, Vivado/Vitis HLS.
// Same words and semantics as hw/rtl/bnf_long_short_shift.v: four channel groups rolled by
// +DH, -DH along H and +DW, -DW along W. One frame per call, a DATAFLOW region of two
// processes joined by the frame array, which HLS makes a ping-pong (PIPO) buffer as the RTL
// double-buffers the frame: bnf_long_short_shift_load writes frame n+1 while
// bnf_long_short_shift_store reads frame n out shifted, H*W*C/PE words each, so frames
// leave at one word per cycle after one frame of latency.
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_long_short_shift: H, W, C, PE, DH, DW, TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_LONG_SHORT_SHIFT_H
#define BNF_LONG_SHORT_SHIFT_H

#include <ap_int.h>
#include <hls_stream.h>

#include "bnf_trips.h"

template <class CFG>
void bnf_long_short_shift_load(hls::stream<ap_uint<CFG::TW> > &in0_V,
                               ap_uint<CFG::PE> frame[CFG::H * CFG::W * (CFG::C / CFG::PE)]) {
    const int H = CFG::H, W = CFG::W, CW = CFG::C / CFG::PE;
load:
    for (int i = 0; i < H * W * CW; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "load");
        frame[i] = in0_V.read();
    }
}

template <class CFG>
void bnf_long_short_shift_store(const ap_uint<CFG::PE> frame[CFG::H * CFG::W * (CFG::C / CFG::PE)],
                                hls::stream<ap_uint<CFG::TW> > &out0_V) {
    const int H = CFG::H, W = CFG::W, C = CFG::C, PE = CFG::PE, DH = CFG::DH, DW = CFG::DW, TW = CFG::TW;
    const int CW = C / PE, GW = C / 4 / PE;
store:
    for (int i = 0; i < H * W * CW; i++) {
#pragma HLS PIPELINE II = 1
        BNF_TRIP(CFG, "store");
        const int rc = i % CW, pix = i / CW, ry = pix / W, rx = pix % W, group = rc / GW;
        int sy = ry, sx = rx;
        if (group == 0) sy = (ry + H - DH) % H;
        if (group == 1) sy = (ry + DH) % H;
        if (group == 2) sx = (rx + W - DW) % W;
        if (group == 3) sx = (rx + DW) % W;
        out0_V.write(ap_uint<TW>(frame[(sy * W + sx) * CW + rc]));
    }
}

template <class CFG>
void bnf_long_short_shift(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &out0_V) {
#pragma HLS DATAFLOW
    ap_uint<CFG::PE> frame[CFG::H * CFG::W * (CFG::C / CFG::PE)];
    bnf_long_short_shift_load<CFG>(in0_V, frame);
    bnf_long_short_shift_store<CFG>(frame, out0_V);
}

#endif
