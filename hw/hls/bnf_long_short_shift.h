// bnnforge: BCDNet long-short range circular shift, Vivado/Vitis HLS.
// Same words and semantics as hw/rtl/bnf_long_short_shift.v: four channel groups rolled by
// +DH, -DH along H and +DW, -DW along W; one frame is buffered, then streamed out
// (the RTL double-buffers the frame to overlap frames; here DATAFLOW between two calls
// would do the same).
//
// The entry template takes one config struct CFG (hls4ml style), one `static const int`
// member per parameter, named exactly:
//   bnf_long_short_shift: H, W, C, PE, DH, DW, TW
// (the generated code: struct X_config { static const int MW = 72; ... }; bnf_...<X_config>(...)).
#ifndef BNF_LONG_SHORT_SHIFT_H
#define BNF_LONG_SHORT_SHIFT_H

#include <ap_int.h>
#include <hls_stream.h>

template <class CFG>
void bnf_long_short_shift(hls::stream<ap_uint<CFG::TW> > &in0_V, hls::stream<ap_uint<CFG::TW> > &out0_V) {
    const int H = CFG::H, W = CFG::W, C = CFG::C, PE = CFG::PE, DH = CFG::DH, DW = CFG::DW, TW = CFG::TW;
    const int CW = C / PE, GW = C / 4 / PE;
    static ap_uint<PE> frame[H * W * CW];
load:
    for (int i = 0; i < H * W * CW; i++) {
#pragma HLS PIPELINE II = 1
        frame[i] = in0_V.read();
    }
store:
    for (int i = 0; i < H * W * CW; i++) {
#pragma HLS PIPELINE II = 1
        const int rc = i % CW, pix = i / CW, ry = pix / W, rx = pix % W, group = rc / GW;
        int sy = ry, sx = rx;
        if (group == 0) sy = (ry + H - DH) % H;
        if (group == 1) sy = (ry + DH) % H;
        if (group == 2) sx = (rx + W - DW) % W;
        if (group == 3) sx = (rx + DW) % W;
        out0_V.write(ap_uint<TW>(frame[(sy * W + sx) * CW + rc]));
    }
}

#endif
