// bnnforge: the one rounding rule of the fixed-point stream (DESIGN.md, number semantics):
// y = saturate(round_half_to_even(x / 2**shift)) to OUT_W signed bits. Combinational; a
// constant `shift` port folds away in synthesis. Every op that rounds instantiates this
// module, so there is one hardware copy of the rule (numpy: quant/fixed_point.np_round_shift).
`default_nettype none

module bnf_round_shift #(
    parameter integer IN_W = 32,
    parameter integer OUT_W = 16,
    parameter integer SW = 5              // width of the shift amount
) (
    input  wire signed [IN_W-1:0]  x,
    input  wire        [SW-1:0]    shift,
    output wire signed [OUT_W-1:0] y
);
    localparam [IN_W:0] ONE = {{IN_W{1'b0}}, 1'b1};
    wire signed [IN_W-1:0] q = x >>> shift;                        // floor(x / 2**shift)
    wire [IN_W:0] mask = (ONE << shift) - ONE;
    wire [IN_W:0] rem = {1'b0, x} & mask;                          // x - q * 2**shift
    wire [IN_W:0] half = mask - (mask >> 1);                       // 2**(shift-1), or 0
    wire up = (shift != {SW{1'b0}}) && ((rem > half) || ((rem == half) && q[0]));
    wire signed [IN_W:0] r = {q[IN_W-1], q} + {{IN_W{1'b0}}, up};
    generate
        if (OUT_W >= IN_W + 1) begin : g_wide
            assign y = {{(OUT_W-IN_W-1){r[IN_W]}}, r};
        end else begin : g_sat
            localparam signed [IN_W:0] HI = {{(IN_W-OUT_W+2){1'b0}}, {(OUT_W-1){1'b1}}};
            localparam signed [IN_W:0] LO = ~HI;
            assign y = (r > HI) ? HI[OUT_W-1:0] : (r < LO) ? LO[OUT_W-1:0] : r[OUT_W-1:0];
        end
    endgenerate
endmodule

`default_nettype wire
