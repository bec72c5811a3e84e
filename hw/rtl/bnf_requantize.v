// bnnforge: requantization of the fixed-point stream, codes on 2**-IN_FRAC -> OUT_W-bit codes
// on 2**-OUT_FRAC, round half to even, saturating (the 8-bit quantizers in front of the
// context maps and the classifier). A finer output grid (OUT_FRAC > IN_FRAC) is an exact
// left shift followed by saturation. PE codes per word, no per-channel state; a one-word
// register slice keeps full rate under backpressure.
`default_nettype none

module bnf_requantize #(
    parameter integer PE = 4,
    parameter integer IN_W = 16,          // signed input codes
    parameter integer OUT_W = 8,          // signed output codes
    parameter integer IN_FRAC = 8,
    parameter integer OUT_FRAC = 4,
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
    localparam integer RS = IN_FRAC > OUT_FRAC ? IN_FRAC - OUT_FRAC : 0;   // rounding right shift
    localparam integer LS = OUT_FRAC > IN_FRAC ? OUT_FRAC - IN_FRAC : 0;   // exact left shift
    localparam integer XW = IN_W + LS;
    localparam integer SHW = RS > 1 ? $clog2(RS + 1) : 1;
    localparam [31:0] RS_32 = RS;
    localparam [SHW-1:0] SHIFT = RS_32[SHW-1:0];

    reg [PE*OUT_W-1:0] y;
    reg valid;
    assign in0_V_TREADY = !valid || out0_V_TREADY;
    assign out0_V_TDATA = {{(OUT_TW-PE*OUT_W){1'b0}}, y};
    assign out0_V_TVALID = valid;
    wire take = in0_V_TVALID && in0_V_TREADY;

    wire [PE*OUT_W-1:0] codes;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [IN_W-1:0] x = in0_V_TDATA[p*IN_W +: IN_W];
            wire signed [XW-1:0] x_al = {{(XW-IN_W){x[IN_W-1]}}, x} << LS;
            bnf_round_shift #(.IN_W(XW), .OUT_W(OUT_W), .SW(SHW)) u_round (
                .x(x_al), .shift(SHIFT), .y(codes[p*OUT_W +: OUT_W]));
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            valid <= 1'b0;
        end else begin
            if (out0_V_TREADY) valid <= 1'b0;
            if (take) begin
                y <= codes;
                valid <= 1'b1;
            end
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
