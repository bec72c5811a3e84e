// bnnforge: residual add of two fixed-point streams of equal shape (ReActNet shortcut),
// y = saturate(round_half_even(a * 2**-A_FRAC + b * 2**-B_FRAC onto 2**-OUT_FRAC)).
// in0_V carries a (the branch), in1_V carries b (the skip path). b enters a bnf_fifo of
// SKIP_DEPTH words inside the unit: the graph sizes it to the latency of the branch b
// bypasses, so b's producer keeps streaming while the branch fills its pipeline. PE codes per
// word; the op has no per-channel state, so it needs no channel counter. One word per cycle,
// registered output; a word leaves 1 cycle after a is taken, and b needs 2 cycles through the
// FIFO, so with both streams starting together the first output leaves after 3 cycles.
`default_nettype none

module bnf_residual_add #(
    parameter integer PE = 4,
    parameter integer IN_W = 16,          // signed input codes (both streams)
    parameter integer OUT_W = 16,         // signed output codes
    parameter integer A_FRAC = 8,
    parameter integer B_FRAC = 8,
    parameter integer OUT_FRAC = 8,
    parameter integer SKIP_DEPTH = 2,     // >= 2 (bnf_fifo needs 2 for full rate)
    parameter [8*11-1:0] RAM_STYLE = "auto", // the skip FIFO's placement (bnf_ram)
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

    // ---- skip path FIFO ---------------------------------------------------------------
    wire [PE*IN_W-1:0] b_data;
    wire b_valid;
    wire b_ready;
    bnf_fifo #(.W(PE * IN_W), .DEPTH(SKIP_DEPTH), .RAM_STYLE(RAM_STYLE)) u_skip (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .in0_V_TDATA(in1_V_TDATA[PE*IN_W-1:0]), .in0_V_TVALID(in1_V_TVALID), .in0_V_TREADY(in1_V_TREADY),
        .out0_V_TDATA(b_data), .out0_V_TVALID(b_valid), .out0_V_TREADY(b_ready)
    );

    // ---- join: a and the FIFO's b advance together into the output register -----------
    reg [PE*OUT_W-1:0] y;
    reg valid;
    wire out_free = !valid || out0_V_TREADY;
    wire take = in0_V_TVALID && b_valid && out_free;
    assign in0_V_TREADY = b_valid && out_free;
    assign b_ready = in0_V_TVALID && out_free;
    assign out0_V_TDATA = {{(OUT_TW-PE*OUT_W){1'b0}}, y};
    assign out0_V_TVALID = valid;

    wire [PE*OUT_W-1:0] sums;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [IN_W-1:0] a = in0_V_TDATA[p*IN_W +: IN_W];
            wire [IN_W-1:0] b = b_data[p*IN_W +: IN_W];
            wire signed [SUM_W-1:0] a_al = {{(SUM_W-IN_W){a[IN_W-1]}}, a} << SA;
            wire signed [SUM_W-1:0] b_al = {{(SUM_W-IN_W){b[IN_W-1]}}, b} << SB;
            bnf_round_shift #(.IN_W(SUM_W), .OUT_W(OUT_W), .SW(SHW)) u_round (
                .x(a_al + b_al), .shift(SHIFT), .y(sums[p*OUT_W +: OUT_W]));
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            valid <= 1'b0;
        end else begin
            if (out0_V_TREADY) valid <= 1'b0;
            if (take) begin
                y <= sums;
                valid <= 1'b1;
            end
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |{in0_V_TDATA, in1_V_TDATA};
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
