// bnnforge: average pooling of the fixed-point stream, KH x KW windows with stride KH x KW:
// the 2x2 pool of stride-2 shortcuts (KH = KW = 2) and the global pool (KH = H, KW = W, one
// output pixel per frame). Input [H, W, C] frames, PE codes per word; a trailing row or
// column that does not fill a window is dropped (numpy: x[:, :H//KH*KH, :W//KW*KW]).
// y = saturate(round_half_even(window sum / (KH*KW))), exactly:
// - KH*KW a power of two: the sum goes through bnf_round_shift;
// - otherwise (e.g. a 7x7 global pool): a reciprocal multiply. With D = KH*KW, LD =
//   clog2(D), AW = IN_W + LD (the sum's width), the sum s is offset to n = s + D*2**(IN_W-1)
//   in [0, 2**AW); with KS = AW + LD + 1 and M = ceil(2**KS / D), n*M = q*2**KS + f where
//   q = floor(n/D) exactly and f = (r*2**KS + n*(M*D - 2**KS)) / D for the remainder r, so
//   f < 2**(KS-1) iff 2r < D, 2**(KS-1) <= f < 2**(KS-1) + 2**AW iff 2r == D, else 2r > D:
//   the exact remainder check of the half-to-even rule needs no second multiply
//   (pool.py's recip_round_div is the same arithmetic and is checked against numpy).
//
// Partial window sums of one output row (W/KW * C codes) live in a read-modify-write buffer;
// the input is never stalled except while the word that completes a window finds the
// output pipeline full. Pipeline: window sum register, then the rounded division into the
// output register, so the first output leaves 2 cycles after the word completing the first
// window, and the next frame streams in while the last outputs leave. Frames are paced by
// the input: H * W * C/PE cycles.
`default_nettype none

module bnf_avg_pool #(
    parameter integer H = 6,
    parameter integer W = 6,
    parameter integer C = 8,
    parameter integer PE = 4,
    parameter integer IN_W = 16,          // signed input codes
    parameter integer OUT_W = 16,         // signed output codes
    parameter integer KH = 2,             // window (= stride); KH = H, KW = W: global pool
    parameter integer KW = 2,
    parameter integer IN_TW = ((PE * IN_W + 7) / 8) * 8,
    parameter integer OUT_TW = ((PE * OUT_W + 7) / 8) * 8
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
    localparam integer CF = C / PE;
    localparam integer OW = W / KW;
    localparam integer D = KH * KW;
    localparam integer LD = $clog2(D);
    localparam integer AW = IN_W + LD;                 // window sum width (signed)
    localparam [0:0] POW2 = (D & (D - 1)) == 0;
    // counter and buffer address widths
    localparam integer FW = CF > 1 ? $clog2(CF) : 1;
    localparam integer XW = W > 1 ? $clog2(W) : 1;
    localparam integer YW = H > 1 ? $clog2(H) : 1;
    localparam integer KXW = KW > 1 ? $clog2(KW) : 1;
    localparam integer KYW = KH > 1 ? $clog2(KH) : 1;
    localparam integer RA = OW * CF > 1 ? $clog2(OW * CF) : 1;
    localparam [31:0] CF_M1 = CF - 1, W_M1 = W - 1, H_M1 = H - 1, KW_M1 = KW - 1, KH_M1 = KH - 1;
    localparam [31:0] D_32 = D, CF_32 = CF, XLIM = (W / KW) * KW, YLIM = (H / KH) * KH;
    localparam [FW-1:0] CF_LAST = CF_M1[FW-1:0];
    localparam [XW-1:0] X_LAST = W_M1[XW-1:0];
    localparam [YW-1:0] Y_LAST = H_M1[YW-1:0];
    localparam [KXW-1:0] KX_LAST = KW_M1[KXW-1:0];
    localparam [KYW-1:0] KY_LAST = KH_M1[KYW-1:0];
    localparam [RA-1:0] CF_RA = CF_32[RA-1:0];

    // ---- position in the frame --------------------------------------------------------
    reg [FW-1:0] cf;
    reg [XW-1:0] x;
    reg [YW-1:0] y;
    reg [KXW-1:0] kx;                                  // x mod KW
    reg [KYW-1:0] ky;                                  // y mod KH
    reg [RA-1:0] base;                                 // (x / KW) * CF: the window's buffer row
    wire in_win = ({{(32-XW){1'b0}}, x} < XLIM) && ({{(32-YW){1'b0}}, y} < YLIM);
    wire first = (kx == {KXW{1'b0}}) && (ky == {KYW{1'b0}});   // a window's first word: sum restarts
    wire emit = in_win && (kx == KX_LAST) && (ky == KY_LAST);  // completes a window
    wire [RA-1:0] addr = base + {{(RA-FW){1'b0}}, cf};

    // ---- pipeline: window sums (s1) -> rounded division (output register) --------------
    reg [PE*AW-1:0] s1;
    reg s1_valid;
    reg [PE*OUT_W-1:0] out_data;
    reg out_valid;
    wire out_free = !out_valid || out0_V_TREADY;
    wire s1_free = !s1_valid || out_free;
    assign in0_V_TREADY = !emit || s1_free;
    wire take = in0_V_TVALID && in0_V_TREADY;
    assign out0_V_TDATA = {{(OUT_TW-PE*OUT_W){1'b0}}, out_data};
    assign out0_V_TVALID = out_valid;

    // partial sums of the current output row: PE lanes of AW bits per address
    reg [PE*AW-1:0] rowbuf [0:OW*CF-1];
    wire [PE*AW-1:0] partial = rowbuf[addr];
    wire [PE*AW-1:0] sums;
    wire [PE*OUT_W-1:0] means;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [IN_W-1:0] xi = in0_V_TDATA[p*IN_W +: IN_W];
            wire [AW-1:0] prev = first ? {AW{1'b0}} : partial[p*AW +: AW];
            assign sums[p*AW +: AW] = prev + {{(AW-IN_W){xi[IN_W-1]}}, xi};
            wire signed [AW-1:0] s = s1[p*AW +: AW];
            if (POW2) begin : g_shift
                localparam integer SHW = LD > 1 ? $clog2(LD + 1) : 1;
                localparam [31:0] LD_32 = LD;
                bnf_round_shift #(.IN_W(AW), .OUT_W(OUT_W), .SW(SHW)) u_round (
                    .x(s), .shift(LD_32[SHW-1:0]), .y(means[p*OUT_W +: OUT_W]));
            end else begin : g_recip
                localparam integer KS = AW + LD + 1;
                localparam integer MW = AW + 2;
                localparam [KS+32:0] D_KX = {{(KS+1){1'b0}}, D_32};
                localparam [KS:0] D_K = D_KX[KS:0];
                localparam [KS:0] POW_K = {1'b1, {KS{1'b0}}};
                localparam [KS:0] M_K = (POW_K + D_K - 1) / D_K;         // ceil(2**KS / D)
                localparam [MW-1:0] M = M_K[MW-1:0];
                localparam [AW+31:0] D_AX = {{AW{1'b0}}, D_32};
                localparam [AW-1:0] D_A = D_AX[AW-1:0];
                localparam [AW-1:0] OFF = D_A << (IN_W - 1);             // D * 2**(IN_W-1)
                localparam [KS-1:0] HALF = {1'b1, {(KS-1){1'b0}}};      // 2**(KS-1)
                localparam [KS-1:0] ABOVE = HALF + {{(KS-AW-1){1'b0}}, 1'b1, {AW{1'b0}}};
                wire [AW-1:0] n = s + OFF;                              // s + D*2**(IN_W-1) >= 0
                // verilator lint_off UNUSEDSIGNAL
                wire [AW+MW-1:0] prod = {{MW{1'b0}}, n} * {{AW{1'b0}}, M};
                // verilator lint_on UNUSEDSIGNAL
                wire [IN_W-1:0] q = prod[KS +: IN_W];                   // floor(n / D)
                wire [KS-1:0] f = prod[KS-1:0];
                wire above = f >= ABOVE;                                // 2r > D
                wire tie = f[KS-1] && !above;                           // 2r == D
                wire up = above || (tie && q[0]);
                // q + up - 2**(IN_W-1) lies in the input range; bnf_round_shift with shift 0
                // only saturates it to OUT_W
                wire signed [IN_W:0] r = {1'b0, q} + {{IN_W{1'b0}}, up} - {2'b01, {(IN_W-1){1'b0}}};
                bnf_round_shift #(.IN_W(IN_W + 1), .OUT_W(OUT_W), .SW(1)) u_sat (
                    .x(r), .shift(1'b0), .y(means[p*OUT_W +: OUT_W]));
            end
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (take && in_win) rowbuf[addr] <= sums;
    end

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            cf <= {FW{1'b0}};
            x <= {XW{1'b0}};
            y <= {YW{1'b0}};
            kx <= {KXW{1'b0}};
            ky <= {KYW{1'b0}};
            base <= {RA{1'b0}};
            s1_valid <= 1'b0;
            out_valid <= 1'b0;
        end else begin
            if (out_free) begin
                out_valid <= s1_valid;
                out_data <= means;
            end
            if (out_free) s1_valid <= 1'b0;
            if (take && emit) begin
                s1 <= sums;
                s1_valid <= 1'b1;
            end
            if (take) begin
                cf <= (cf == CF_LAST) ? {FW{1'b0}} : cf + 1'b1;
                if (cf == CF_LAST) begin
                    if (x == X_LAST) begin
                        x <= {XW{1'b0}};
                        kx <= {KXW{1'b0}};
                        base <= {RA{1'b0}};
                        y <= (y == Y_LAST) ? {YW{1'b0}} : y + 1'b1;
                        ky <= (y == Y_LAST || ky == KY_LAST) ? {KYW{1'b0}} : ky + 1'b1;
                    end else begin
                        x <= x + 1'b1;
                        kx <= (kx == KX_LAST) ? {KXW{1'b0}} : kx + 1'b1;
                        if (kx == KX_LAST) base <= base + CF_RA;
                    end
                end
            end
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
