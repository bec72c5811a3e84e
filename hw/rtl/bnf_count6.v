// bnnforge: counter of up to six bits, the cell of bnf_popcount's compressor tree.
// One K-input function per count bit, looked up so synthesis sees LUT6s rather than a
// chain of adders on carry logic; INV inverts inputs inside the same LUTs (an XNOR with
// constant weights costs nothing). Kept as its own module in synthesis, so ABC maps every
// counter alone instead of merging neighbours into wider, costlier logic.
`default_nettype none

(* keep_hierarchy *)
module bnf_count6 #(
    parameter integer K = 6,              // inputs, 1..6
    parameter [K-1:0] INV = {K{1'b0}}
) (
    input  wire [K-1:0] bits,
    output wire [2:0]   count
);
    function [191:0] count_table(input integer unused);
        integer v, b, c;
        begin
            count_table = 192'd0;
            for (v = 0; v < 64; v = v + 1) begin
                c = 0;
                for (b = 0; b < 6; b = b + 1) c = c + ((v >> b) & 1);
                count_table[v*3 +: 3] = c[2:0];
            end
        end
    endfunction
    localparam [191:0] COUNT = count_table(0);

    wire [5:0] v = {{(6-K){1'b0}}, bits ^ INV};
    assign count = COUNT[v*3 +: 3];
endmodule

`default_nettype wire
