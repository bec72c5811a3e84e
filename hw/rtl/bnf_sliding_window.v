// bnnforge: sliding-window generator (im2col on the stream) for K x K convolutions.
//
// In: an [H, W, C] frame in raster order, G elements of EB bits per word (C/G words a
// pixel). Out: per output pixel the K*K*C window in (ky, kx, c) order, SIMD elements a
// word (K*K*C/SIMD words a window). An output word is R = SIMD/G chunks of G elements; the
// R lanes each read one chunk from their own copy of the line buffer (R > 1 only when C is
// small, so the copies are small).
//
// Line buffer: BUF rows x W pixels x C/G words of the unpadded input, a circular buffer of
// rows. Padding is virtual: a lane whose tap falls outside the image outputs PAD_VALUE.
// Flow control counts pixels relative to the first pixel of the frame the reader is on
// (D = pixels written since then; it runs past H*W when the writer is already in the next
// frame, and below zero when the reader moved on before unused bottom rows came in):
//   - the reader emits a word once the last pixel its window needs is written (D > need);
//   - the writer writes a pixel only if its row is fewer than BUF rows below the first row
//     the reader still needs (D < lo + BUF*W).
// BUF = max(K + S, H + K - (OH-1)*S) rows lets the writer fetch the next output row's rows
// (K + S) and the next frame's first rows while the reader finishes a frame, so neither
// side waits in steady state: max(input words, output words) cycles per frame.
//
// Reads are synchronous into the output register (block RAM with output register reset to
// the pad value), issued only when that register is free: full rate under backpressure.
// No division or multiplication at run time: every address and tap moves incrementally.
`default_nettype none

module bnf_sliding_window #(
    parameter integer H = 5,
    parameter integer W = 5,
    parameter integer C = 4,
    parameter integer K = 3,
    parameter integer STRIDE = 1,
    parameter integer PAD = 1,
    parameter integer PAD_VALUE = 0,      // element code of padded taps
    parameter integer EB = 1,             // bits per element
    parameter integer SIMD = 4,           // elements per output word
    parameter integer G = 4,              // elements per input word: gcd(SIMD, C)
    parameter [8*11-1:0] RAM_STYLE = "auto", // the line buffer's placement (bnf_ram)
    parameter integer BUF = (K + STRIDE > H + K - ((H + 2 * PAD - K) / STRIDE) * STRIDE)
                            ? K + STRIDE : H + K - ((H + 2 * PAD - K) / STRIDE) * STRIDE,
    parameter integer IN_TW = ((G * EB + 7) / 8) * 8,
    parameter integer OUT_TW = ((SIMD * EB + 7) / 8) * 8
) (
    input  wire              ap_clk,
    input  wire              ap_rst_n,
    input  wire [IN_TW-1:0]  in0_V_TDATA,
    input  wire              in0_V_TVALID,
    output wire              in0_V_TREADY,
    output wire [OUT_TW-1:0] out0_V_TDATA,
    output wire              out0_V_TVALID,
    input  wire              out0_V_TREADY
);
    localparam integer OH = (H + 2 * PAD - K) / STRIDE + 1;
    localparam integer OW = (W + 2 * PAD - K) / STRIDE + 1;
    localparam integer CG = C / G;                 // input words per pixel
    localparam integer R = SIMD / G;               // lanes: chunks per output word
    localparam integer NWD = K * K * CG / R;       // output words per window
    localparam integer GB = G * EB;                // bits per chunk
    localparam integer WCG = W * CG;               // words per buffer row
    localparam integer DEPTH = BUF * WCG;
    localparam integer HW = H * W;
    localparam integer MAXHW = H > W ? H : W;
    // widths: buffer address (AW), address sums (SAW, signed), coordinates (CW, signed),
    // pixel counts (DW, signed, holding -H*W .. H*W + BUF*W), taps, chunks, window words
    localparam integer AW = $clog2(DEPTH);
    localparam integer SAW = AW + 3;
    localparam integer CW = $clog2(MAXHW + K + PAD + 1) + 1;
    localparam integer DW0 = $clog2(HW + BUF * W + 1) + 1;
    localparam integer DW = DW0 > CW ? DW0 : CW + 1;
    localparam integer KW = K > 1 ? $clog2(K) : 1;
    localparam integer CCW = CG > 1 ? $clog2(CG) : 1;
    localparam integer NW = NWD > 1 ? $clog2(NWD) : 1;

    // a lane's chunk index advances by R per word: R = A taps + B chunks, A = AY rows + AX
    // columns; the buffer offset of its tap then advances by STEP, plus WRAP when kx wraps
    localparam integer A = R / CG, B = R % CG, AY = A / K, AX = A % K;
    localparam [31:0] STEP = B + AX * CG + AY * WCG;
    localparam [31:0] WRAP = (W - K) * CG;         // may be negative: added modulo 2**AW

    localparam [31:0] NWD_M1 = NWD - 1, DEPTH_M1 = DEPTH - 1, CG_M1 = CG - 1;
    localparam [31:0] DEPTH_32 = DEPTH, CG_32 = CG, K_32 = K, H_32 = H, W_32 = W;
    localparam [31:0] NEG_P = -PAD, IX_LAST_32 = (OW - 1) * STRIDE - PAD, IY_LAST_32 = (OH - 1) * STRIDE - PAD;
    localparam [31:0] S_32 = STRIDE, NEG_PW = -PAD * W, SW_32 = STRIDE * W, NEG_PCG = -PAD * CG;
    localparam [31:0] SCG_32 = STRIDE * CG, SWCG_32 = STRIDE * WCG, K1_32 = K - 1, K1W_32 = (K - 1) * W;
    localparam [31:0] H1W_32 = (H - 1) * W, W1_32 = W - 1, HW_32 = HW, BUFW_32 = BUF * W;
    localparam [31:0] FRAME_STEP = (HW * CG) % DEPTH;       // buffer address of the next frame's row 0
    localparam [31:0] PAD_BACK = (DEPTH - PAD * WCG) % DEPTH;  // ... minus PAD rows
    localparam [31:0] PAD_VALUE_32 = PAD_VALUE;
    localparam [NW-1:0] NWD_LAST = NWD_M1[NW-1:0];
    localparam [AW-1:0] DEPTH_LAST = DEPTH_M1[AW-1:0];
    localparam [CCW-1:0] CG_LAST = CG_M1[CCW-1:0];
    localparam signed [CW-1:0] C_NEG_P = NEG_P[CW-1:0], C_IX_LAST = IX_LAST_32[CW-1:0];
    localparam signed [CW-1:0] C_IY_LAST = IY_LAST_32[CW-1:0], C_S = S_32[CW-1:0], C_K1 = K1_32[CW-1:0];
    localparam signed [CW-1:0] C_H = H_32[CW-1:0], C_W = W_32[CW-1:0], C_W1 = W1_32[CW-1:0];
    localparam signed [DW-1:0] D_NEG_PW = NEG_PW[DW-1:0], D_SW = SW_32[DW-1:0], D_K1W = K1W_32[DW-1:0];
    localparam signed [DW-1:0] D_H1W = H1W_32[DW-1:0], D_HW = HW_32[DW-1:0], D_BUFW = BUFW_32[DW-1:0];
    localparam signed [SAW-1:0] S_NEG_PCG = NEG_PCG[SAW-1:0], S_SCG = SCG_32[SAW-1:0];
    localparam signed [SAW-1:0] S_DEPTH = DEPTH_32[SAW-1:0];
    localparam [AW:0] A_DEPTH = DEPTH_32[AW:0], A_SWCG = SWCG_32[AW:0], A_FRAME = FRAME_STEP[AW:0];
    localparam [AW:0] A_PAD_BACK = PAD_BACK[AW:0];
    localparam [AW-1:0] A_STEP = STEP[AW-1:0], A_WRAP = WRAP[AW-1:0];
    localparam [31:0] B_32 = B, AX_32 = AX, AY_32 = AY;
    localparam [CCW:0] CC_B = B_32[CCW:0], CC_CG = CG_32[CCW:0];
    localparam [KW:0] KX_AX = AX_32[KW:0], KX_K = K_32[KW:0];
    localparam [KW-1:0] KY_AY = AY_32[KW-1:0];
    localparam [GB-1:0] PAD_WORD = {G{PAD_VALUE_32[EB-1:0]}};

    // last pixel (frame-relative) the window with top-left (iy0, ix0) needs, ylo = iy0 * W
    function signed [DW-1:0] need_of(input signed [DW-1:0] ylo, input signed [CW-1:0] ix0);
        reg signed [DW-1:0] yhi;
        reg signed [CW-1:0] xhi;
        begin
            yhi = ylo + D_K1W;
            xhi = ix0 + C_K1;
            if (yhi > D_H1W) yhi = D_H1W;
            if (xhi > C_W1) xhi = C_W1;
            need_of = yhi + {{(DW-CW){xhi[CW-1]}}, xhi};
        end
    endfunction

    // ---- writer ------------------------------------------------------------------------
    reg signed [DW-1:0] d;                         // pixels written since the reader's frame began
    reg signed [DW-1:0] wlim;                      // lo + BUF*W: first pixel the writer may not write
    reg [AW-1:0] wptr;
    reg [CCW-1:0] wcc;
    assign in0_V_TREADY = d < wlim;
    wire take = in0_V_TVALID && in0_V_TREADY;
    wire pix_done = take && (wcc == CG_LAST);
    wire [GB-1:0] in_chunk = in0_V_TDATA[GB-1:0];

    // ---- reader: output pixel position and the window's bounds ---------------------------
    reg [NW-1:0] wi;                               // word within the window
    reg signed [CW-1:0] iy0, ix0;                  // top-left input pixel of the window
    reg signed [DW-1:0] ylo;                       // iy0 * W
    reg signed [DW-1:0] need;                      // last pixel the window needs (frame-relative)
    reg [AW-1:0] fbase;                            // buffer address of the reader's frame's row 0
    reg [AW-1:0] rrow;                             // buffer address of row iy0 (mod DEPTH)
    reg signed [SAW-1:0] rcol;                     // ix0 * CG
    reg out_valid;
    wire out_free = !out_valid || out0_V_TREADY;
    wire fire = (d > need) && out_free;
    wire last_wi = (wi == NWD_LAST);
    wire last_x = (ix0 == C_IX_LAST);
    wire last_y = (iy0 == C_IY_LAST);
    wire next_pix = fire && last_wi;
    wire frame_end = next_pix && last_x && last_y;

    wire signed [CW-1:0] ix0_n = last_x ? C_NEG_P : ix0 + C_S;
    wire signed [CW-1:0] iy0_n = !last_x ? iy0 : last_y ? C_NEG_P : iy0 + C_S;
    wire signed [DW-1:0] ylo_n = !last_x ? ylo : last_y ? D_NEG_PW : ylo + D_SW;
    wire [AW:0] fbase_sum = {1'b0, fbase} + A_FRAME;
    wire [AW:0] fbase_n = fbase_sum >= A_DEPTH ? fbase_sum - A_DEPTH : fbase_sum;
    wire [AW:0] row_sum = frame_end ? fbase_n + A_PAD_BACK : {1'b0, rrow} + A_SWCG;
    wire [AW:0] rrow_n = row_sum >= A_DEPTH ? row_sum - A_DEPTH : row_sum;
    wire signed [DW-1:0] d_step = frame_end ? -D_HW : {DW{1'b0}};

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            d <= {DW{1'b0}};
            wlim <= D_BUFW;
            wptr <= {AW{1'b0}};
            wcc <= {CCW{1'b0}};
            wi <= {NW{1'b0}};
            iy0 <= C_NEG_P;
            ix0 <= C_NEG_P;
            ylo <= D_NEG_PW;
            need <= need_of(D_NEG_PW, C_NEG_P);
            fbase <= {AW{1'b0}};
            rrow <= A_PAD_BACK[AW-1:0];
            rcol <= S_NEG_PCG;
            out_valid <= 1'b0;
        end else begin
            if (take) begin
                wptr <= (wptr == DEPTH_LAST) ? {AW{1'b0}} : wptr + 1'b1;
                wcc <= (wcc == CG_LAST) ? {CCW{1'b0}} : wcc + 1'b1;
            end
            d <= d + d_step + {{(DW-1){1'b0}}, pix_done};
            if (fire) out_valid <= 1'b1;
            else if (out0_V_TREADY) out_valid <= 1'b0;
            if (fire) wi <= last_wi ? {NW{1'b0}} : wi + 1'b1;
            if (next_pix) begin
                ix0 <= ix0_n;
                iy0 <= iy0_n;
                ylo <= ylo_n;
                need <= need_of(ylo_n, ix0_n);
                wlim <= (ylo_n[DW-1] ? {DW{1'b0}} : ylo_n) + D_BUFW;
                rcol <= last_x ? S_NEG_PCG : rcol + S_SCG;
                if (last_x) rrow <= rrow_n[AW-1:0];
                if (frame_end) fbase <= fbase_n[AW-1:0];
            end
        end
    end

    // ---- lanes: tap of chunk wi * R + j, its buffer copy, its output register ------------
    wire [SIMD*EB-1:0] lanes;
    genvar j;
    generate
        for (j = 0; j < R; j = j + 1) begin : g_lane
            localparam integer TAP0 = j / CG;
            localparam [31:0] CC0_32 = j % CG, KX0_32 = TAP0 % K, KY0_32 = TAP0 / K;
            localparam [31:0] OFF0_32 = (TAP0 / K) * WCG + (TAP0 % K) * CG + j % CG;
            localparam [CCW-1:0] CC0 = CC0_32[CCW-1:0];
            localparam [KW-1:0] KX0 = KX0_32[KW-1:0], KY0 = KY0_32[KW-1:0];
            localparam [AW-1:0] OFF0 = OFF0_32[AW-1:0];

            reg [CCW-1:0] cc;
            reg [KW-1:0] kx, ky;
            reg [AW-1:0] off;                      // ky * W*CG + kx * CG + cc
            wire [CCW:0] cc_s = {1'b0, cc} + CC_B;
            wire c1 = cc_s >= CC_CG;
            wire [CCW:0] cc_n = c1 ? cc_s - CC_CG : cc_s;
            wire [KW:0] kx_s = {1'b0, kx} + KX_AX + {{KW{1'b0}}, c1};
            wire c2 = kx_s >= KX_K;
            wire [KW:0] kx_n = c2 ? kx_s - KX_K : kx_s;
            always @(posedge ap_clk) begin
                if (!ap_rst_n || (fire && last_wi)) begin
                    cc <= CC0;
                    kx <= KX0;
                    ky <= KY0;
                    off <= OFF0;
                end else if (fire) begin
                    cc <= cc_n[CCW-1:0];
                    kx <= kx_n[KW-1:0];
                    ky <= ky + KY_AY + {{(KW-1){1'b0}}, c2};
                    off <= off + A_STEP + (c2 ? A_WRAP : {AW{1'b0}});
                end
            end

            // padded tap? (virtual padding: nothing of it is stored)
            wire signed [CW-1:0] ty = iy0 + $signed({{(CW-KW){1'b0}}, ky});
            wire signed [CW-1:0] tx = ix0 + $signed({{(CW-KW){1'b0}}, kx});
            wire in_image = (PAD == 0) || (!ty[CW-1] && ty < C_H && !tx[CW-1] && tx < C_W);
            wire signed [SAW-1:0] a_sum = $signed({3'b0, rrow}) + rcol + $signed({3'b0, off});
            wire signed [SAW-1:0] a_wrap = a_sum >= S_DEPTH ? a_sum - S_DEPTH : a_sum;
            wire [AW-1:0] addr = a_wrap[AW-1:0];

            wire [GB-1:0] q;
            bnf_ram #(.W(GB), .DEPTH(DEPTH), .AW(AW), .RAM_STYLE(RAM_STYLE), .SRST_VALUE(PAD_WORD)) u_line (
                .clk(ap_clk), .we(take), .wa(wptr), .d(in_chunk), .re(fire), .ra(addr), .srst(!in_image), .q(q));
            assign lanes[j*GB +: GB] = q;

            // verilator lint_off UNUSEDSIGNAL
            wire unused_lane = |{cc_n[CCW], kx_n[KW], a_wrap[SAW-1:AW]};
            // verilator lint_on UNUSEDSIGNAL
        end
        if (OUT_TW > SIMD * EB) begin : g_out_pad
            assign out0_V_TDATA = {{(OUT_TW - SIMD * EB){1'b0}}, lanes};
        end else begin : g_out
            assign out0_V_TDATA = lanes;
        end
    endgenerate
    assign out0_V_TVALID = out_valid;

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    wire unused_sums = |{fbase_n[AW], rrow_n[AW]};
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
