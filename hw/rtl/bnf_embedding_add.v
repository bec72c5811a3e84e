// bnnforge: BCDNet-B's post-conv embedding add. in0_V streams a [H, W, C] frame (PIXELS
// pixels of C/PE words), in1_V one vector b [C] per frame (C/PE words); every pixel gets
// y = saturate(round_half_even(a * 2**-A_FRAC + b * 2**-B_FRAC onto 2**-OUT_FRAC)).
//
// b is double-buffered (2 banks of C codes): the vector of frame n+1 loads while frame n
// streams, so frames follow each other at one word per cycle (PIXELS * C/PE cycles a frame).
// A bank is free again after the last word of its frame. a waits until its frame's vector
// is complete; b waits while both banks are full. Registered output, full rate under
// backpressure. With both streams starting together the first output leaves C/PE + 1
// cycles after the first vector word (the vector loads first).
`default_nettype none

module bnf_embedding_add #(
    parameter integer C = 16,
    parameter integer PE = 4,
    parameter integer PIXELS = 16,        // pixels per frame (H * W)
    parameter integer IN_W = 16,          // signed input codes (both streams)
    parameter integer OUT_W = 16,         // signed output codes
    parameter integer A_FRAC = 8,
    parameter integer B_FRAC = 8,
    parameter integer OUT_FRAC = 8,
    parameter integer IN_TW = ((PE * IN_W + 7) / 8) * 8,
    parameter integer OUT_TW = ((PE * OUT_W + 7) / 8) * 8
) (
    input  wire              ap_clk,
    input  wire              ap_rst_n,
    input  wire [IN_TW-1:0]  in0_V_TDATA,
    input  wire              in0_V_TVALID,
    output wire              in0_V_TREADY,
    input  wire [IN_TW-1:0]  in1_V_TDATA,
    input  wire              in1_V_TVALID,
    output wire              in1_V_TREADY,
    output wire [OUT_TW-1:0] out0_V_TDATA,
    output wire              out0_V_TVALID,
    input  wire              out0_V_TREADY
);
    localparam integer CF = C / PE;
    localparam integer FW = CF > 1 ? $clog2(CF) : 1;
    localparam integer VA = $clog2(2 * CF);            // vector buffer address: bank * CF + cf
    localparam integer PW = PIXELS > 1 ? $clog2(PIXELS) : 1;
    localparam [31:0] CF_M1 = CF - 1, PIXELS_M1 = PIXELS - 1, CF_32 = CF;
    localparam [FW-1:0] CF_LAST = CF_M1[FW-1:0];
    localparam [PW-1:0] PIX_LAST = PIXELS_M1[PW-1:0];
    localparam [VA-1:0] BANK1 = CF_32[VA-1:0];
    // common grid 2**-F: both operands shift left onto it exactly, the sum rounds to OUT_FRAC
    localparam integer F = (A_FRAC > B_FRAC ? A_FRAC : B_FRAC) > OUT_FRAC ?
                           (A_FRAC > B_FRAC ? A_FRAC : B_FRAC) : OUT_FRAC;
    localparam integer SA = F - A_FRAC;
    localparam integer SB = F - B_FRAC;
    localparam integer SH = F - OUT_FRAC;
    localparam integer SUM_W = IN_W + (SA > SB ? SA : SB) + 1;
    localparam integer SHW = SH > 1 ? $clog2(SH + 1) : 1;
    localparam [31:0] SH_32 = SH;
    localparam [SHW-1:0] SHIFT = SH_32[SHW-1:0];

    // ---- vector double buffer -----------------------------------------------------------
    reg [PE*IN_W-1:0] vec [0:2*CF-1];
    reg [1:0] full;                                    // bank holds a complete vector
    reg wbank, rbank;
    reg [FW-1:0] wcf, rcf;
    reg [PW-1:0] pix;
    wire [VA-1:0] waddr = {{(VA-FW){1'b0}}, wcf} + (wbank ? BANK1 : {VA{1'b0}});
    wire [VA-1:0] raddr = {{(VA-FW){1'b0}}, rcf} + (rbank ? BANK1 : {VA{1'b0}});
    wire load = in1_V_TVALID && !full[wbank];
    assign in1_V_TREADY = !full[wbank];

    // ---- stream side ------------------------------------------------------------------
    reg [PE*OUT_W-1:0] y;
    reg valid;
    wire out_free = !valid || out0_V_TREADY;
    assign in0_V_TREADY = full[rbank] && out_free;
    wire take = in0_V_TVALID && full[rbank] && out_free;
    wire frame_end = (rcf == CF_LAST) && (pix == PIX_LAST);
    assign out0_V_TDATA = {{(OUT_TW-PE*OUT_W){1'b0}}, y};
    assign out0_V_TVALID = valid;

    wire [PE*IN_W-1:0] b_word = vec[raddr];
    wire [PE*OUT_W-1:0] sums;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [IN_W-1:0] a = in0_V_TDATA[p*IN_W +: IN_W];
            wire [IN_W-1:0] b = b_word[p*IN_W +: IN_W];
            wire signed [SUM_W-1:0] a_al = {{(SUM_W-IN_W){a[IN_W-1]}}, a} << SA;
            wire signed [SUM_W-1:0] b_al = {{(SUM_W-IN_W){b[IN_W-1]}}, b} << SB;
            bnf_round_shift #(.IN_W(SUM_W), .OUT_W(OUT_W), .SW(SHW)) u_round (
                .x(a_al + b_al), .shift(SHIFT), .y(sums[p*OUT_W +: OUT_W]));
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (load) vec[waddr] <= in1_V_TDATA[PE*IN_W-1:0];
    end

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            full <= 2'b00;
            wbank <= 1'b0;
            rbank <= 1'b0;
            wcf <= {FW{1'b0}};
            rcf <= {FW{1'b0}};
            pix <= {PW{1'b0}};
            valid <= 1'b0;
        end else begin
            // a bank is filled only while empty and drained only while full: the two updates
            // of `full` below never hit the same bank in one cycle
            if (load) begin
                wcf <= (wcf == CF_LAST) ? {FW{1'b0}} : wcf + 1'b1;
                if (wcf == CF_LAST) begin
                    full[wbank] <= 1'b1;
                    wbank <= !wbank;
                end
            end
            if (out0_V_TREADY) valid <= 1'b0;
            if (take) begin
                y <= sums;
                valid <= 1'b1;
                rcf <= (rcf == CF_LAST) ? {FW{1'b0}} : rcf + 1'b1;
                if (rcf == CF_LAST) pix <= (pix == PIX_LAST) ? {PW{1'b0}} : pix + 1'b1;
                if (frame_end) begin
                    full[rbank] <= 1'b0;
                    rbank <= !rbank;
                end
            end
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |{in0_V_TDATA, in1_V_TDATA};
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
