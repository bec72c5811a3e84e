// bnnforge: one step of bnf_popcount's counting chains: acc + count(bits) + cin on one carry
// chain. The count of the K <= 5 field bits (inverted inside where INV is set) is a table
// lookup, not arithmetic, so synthesis merges each of its bits with the accumulator bit of
// the same weight into one LUT6 (the chain's propagate, acc ^ count bit), and the carry
// chain adds acc (its DI input, a wire) and cin (its carry-in, a wire) for free.
`default_nettype none

(* keep_hierarchy *)
module bnf_count6 #(
    parameter integer AW = 1,              // accumulator bits
    parameter integer K = 5,               // counted bits, 1..5
    parameter integer C = 1,               // 1: cin is counted too
    parameter [K-1:0] INV = {K{1'b0}},     // invert these bits before counting
    parameter [0:0] INVC = 1'b0,           // invert cin
    parameter integer OW = AW + 1          // sum bits
) (
    input  wire [AW-1:0] acc,
    input  wire [K-1:0]  bits,
    input  wire          cin,
    output wire [OW-1:0] sum
);
    function [95:0] count_table(input integer unused);
        integer v, b, c;
        begin
            count_table = 96'd0;
            for (v = 0; v < 32; v = v + 1) begin
                c = 0;
                for (b = 0; b < 5; b = b + 1) c = c + ((v >> b) & 1);
                count_table[v*3 +: 3] = c[2:0];
            end
        end
    endfunction
    localparam [95:0] COUNT = count_table(0);
    wire [4:0] v = {{(5-K){1'b0}}, bits ^ INV};
    wire [2:0] f = COUNT[v*3 +: 3];
    wire c = C != 0 ? cin ^ INVC : 1'b0;
    // {acc above the count's three bits, count} + the accumulator's low bits: written so, the
    // narrower operand (the carry chain's DI, a wire) is the accumulator's, and the count's
    // bits merge with it into the propagate LUTs (acc + count would put the count on DI)
    localparam integer HW = AW > 3 ? AW - 3 : 0;
    localparam integer LW = AW > 3 ? 3 : AW;
    wire [HW+2:0] hi_f;
    generate
        if (AW > 3) begin : g_hi
            assign hi_f = {acc[AW-1:3], f};
        end else begin : g_lo
            assign hi_f = f;
        end
    endgenerate
    wire [HW+4:0] total = {2'b0, hi_f} + {{(HW+5-LW){1'b0}}, acc[LW-1:0]} + {{(HW+4){1'b0}}, c};
    assign sum = total[OW-1:0];
    // verilator lint_off UNUSEDSIGNAL
    wire unused = |total;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
