// bnnforge: XNOR-popcount of an N-bit input against N constant weight bits.
// xnor with a constant is a wire or an inverter, which synthesis folds into the first
// counter level, so the cost is the compressor tree of bnf_popcount alone.
`default_nettype none

module bnf_xnor_popcount #(
    parameter integer N = 64,
    parameter [N-1:0] WEIGHTS = {N{1'b1}},
    parameter integer W = $clog2(N + 1)
) (
    input  wire [N-1:0] x,
    output wire [W-1:0] count
);
    // xnor(x, w) = x where w = 1, ~x where w = 0: inversions ride in the counters' LUTs
    bnf_popcount #(.N(N), .W(W), .INVERT(~WEIGHTS)) u_count (.bits(x), .count(count));
endmodule

`default_nettype wire
