// bnnforge: population count of N bits on the carry chain (hand-written, not generated).
//
// Structure. The bits are cut into leaves of up to 37 bits. A leaf is one accumulating
// chain of up to six steps (bnf_count6): the first step takes 7 bits, every later one 6:
// acc + count(5 bits) + cin. The count of the five bits is a table lookup, and each of its
// three bits merges with the accumulator bit of the same weight into one LUT6 that drives
// the carry chain's propagate input; the accumulator itself enters the chain as its DI
// input (a wire), and the sixth bit as its carry-in (a wire). So a step counts 6 bits with
// 3 LUT6 on one or two CARRY4, and the accumulator bits above the count ride the chain
// without LUTs: a leaf costs about 0.5 LUT a bit. The leaves' counts are summed by a
// balanced tree of two-operand carry-chain adders (bnf_popcount_add: one LUT a bit of the
// narrower operand). This is the carry-chain counting of Preusser's generalized parallel
// counters (FPL 2017) cut to what Yosys and Vivado map from plain Verilog: six bits into
// a 3-LUT chain segment, 2 bits removed a LUT, where a LUT-only 6:3 counter tree removes 1.
// Yosys synth_xilinx xc7 (constant weights): N = 64: 37 LUT / 20 CARRY4, 256: 166 / 83,
// 1024: 680 / 336 (0.58-0.66 LUT a bit; a behavioural count loop beside it 93, 416, 1705).
// Depth: a leaf is six chained steps, then ceil(log2(leaves)) adders (11 at N = 1024).
//
// INVERT (constant-weight XNOR): inverted bits are counted inside the LUTs for free; the
// two bits of a step that enter the chain as wires (accumulator start, carry-in) are picked
// from the step's non-inverted bits where it has them (an inverted one costs an inverter).
// The steps and the tree adders are kept modules so that synthesis does not merge the
// additions into one multi-operand sum (Yosys's alumacc would, into full adders in LUTs).
`default_nettype none

// Needs bnf_count6.v.
module bnf_popcount #(
    parameter integer N = 64,
    parameter integer W = $clog2(N + 1),    // output width
    parameter [N-1:0] INVERT = {N{1'b0}}    // count ~bits[i] where set: constant-weight XNOR
) (
    input  wire [N-1:0] bits,
    output wire [W-1:0] count
);
    localparam integer STEPS = 6;                      // chain steps per leaf
    localparam integer B = 7 + 6 * (STEPS - 1);        // bits per leaf
    localparam integer M = (N + B - 1) / B;            // leaves
    localparam [N+7:0] INV_ALL = {8'b0, INVERT};

    function integer min2(input integer a, input integer b);
        min2 = a < b ? a : b;
    endfunction
    function integer clog2p1(input integer v);       // bits of the count 0..v
        integer r;
        begin
            r = 0;
            while ((1 << r) < v + 1) r = r + 1;
            clog2p1 = r < 1 ? 1 : r;
        end
    endfunction
    // the s-th slot of a group of G bits: its non-inverted bits first (they go where the
    // chain takes a bit as a wire: accumulator start and carry-in), then the inverted ones
    function integer slot(input [6:0] inv, input integer g, input integer s);
        integer i, r;
        begin
            slot = 0;
            r = 0;
            for (i = 0; i < g; i = i + 1) if (!inv[i]) begin
                if (r == s) slot = i;
                r = r + 1;
            end
            for (i = 0; i < g; i = i + 1) if (inv[i]) begin
                if (r == s) slot = i;
                r = r + 1;
            end
        end
    endfunction
    // bits of leaf j; steps of a leaf of n bits; bits prior step k; bits of step k
    function integer leaf_n(input integer j);
        leaf_n = min2(B, N - j * B);
    endfunction
    function integer nsteps(input integer n);
        nsteps = n <= 7 ? 1 : 1 + (n - 7 + 5) / 6;
    endfunction
    function integer prior(input integer k);
        prior = k == 0 ? 0 : 7 + 6 * (k - 1);
    endfunction

    genvar j, k, s;
    generate
        for (j = 0; j < M; j = j + 1) begin : g_leaf
            localparam integer LN = leaf_n(j);
            localparam integer NS = nsteps(LN);
            for (k = 0; k < NS; k = k + 1) begin : g_step
                localparam integer G = min2(k == 0 ? 7 : 6, LN - prior(k));   // bits of this step
                localparam integer BASE = j * B + prior(k);
                localparam [6:0] GINV = INV_ALL[BASE +: 7] & ((7'd1 << G) - 7'd1);
                localparam integer NA = k == 0 ? 1 : 0;                        // bit that starts the accumulator
                localparam integer NC = G > NA ? 1 : 0;                        // carry-in bit
                localparam integer K = G - NA - NC;                            // counted in LUTs
                localparam integer AW = k == 0 ? 1 : clog2p1(prior(k));
                localparam integer OW = clog2p1(prior(k) + G);
                wire [6:0] p;                                                  // the group, slot order
                for (s = 0; s < 7; s = s + 1) begin : g_slot
                    if (s < G) begin : g_used
                        assign p[s] = bits[BASE + slot(GINV, G, s)];
                    end else begin : g_pad
                        assign p[s] = 1'b0;
                    end
                end
                localparam [6:0] PINV = perm_inv(GINV, G);
                wire [AW-1:0] acc;
                wire [OW-1:0] sum;
                if (k == 0) begin : g_first
                    assign acc = p[0] ^ PINV[0];
                end else begin : g_next
                    assign acc = g_step[k-1].sum;
                end
                if (K == 0) begin : g_short      // one or two bits: acc + cin
                    wire c = NC != 0 ? p[NA] ^ PINV[NA] : 1'b0;
                    wire [AW:0] total = {1'b0, acc} + {{AW{1'b0}}, c};
                    assign sum = total[OW-1:0];
                    // verilator lint_off UNUSEDSIGNAL
                    wire unused = |total;
                    // verilator lint_on UNUSEDSIGNAL
                end else begin : g_count
                    bnf_count6 #(.AW(AW), .K(K), .C(NC), .INV(PINV[NA+NC +: K]), .INVC(PINV[NA]), .OW(OW)) u_step (
                        .acc(acc), .bits(p[NA+NC +: K]), .cin(p[NA]), .sum(sum));
                end
            end
            wire [clog2p1(LN)-1:0] out = g_step[NS-1].sum;
        end
    endgenerate

    function [6:0] perm_inv(input [6:0] inv, input integer g);
        integer i;
        begin
            perm_inv = 7'd0;
            for (i = 0; i < g; i = i + 1) perm_inv[i] = inv[slot(inv, g, i)];
        end
    endfunction

    // balanced adder tree over the leaves' counts
    localparam integer T = tree_levels(0);
    function integer tree_levels(input integer unused);
        begin
            tree_levels = 0;
            while ((1 << tree_levels) < M) tree_levels = tree_levels + 1;
        end
    endfunction
    function integer node_max(input integer t, input integer n);   // bits under node n of level t
        node_max = min2(N, (n + 1) * B * (1 << t)) - n * B * (1 << t);
    endfunction
    genvar t, n;
    generate
        for (t = 0; t <= T; t = t + 1) begin : g_sum
            localparam integer NODES = (M + (1 << t) - 1) >> t;
            for (n = 0; n < NODES; n = n + 1) begin : g_node
                localparam integer NW = clog2p1(node_max(t, n));
                wire [NW-1:0] v;
                if (t == 0) begin : g_leafout
                    assign v = g_leaf[n].out;
                end else if (2 * n + 1 < ((M + (1 << (t - 1)) - 1) >> (t - 1))) begin : g_add
                    localparam integer LW = clog2p1(node_max(t - 1, 2 * n));
                    localparam integer RW = clog2p1(node_max(t - 1, 2 * n + 1));
                    bnf_popcount_add #(.LW(LW), .RW(RW), .OW(NW)) u_add (
                        .l(g_sum[t-1].g_node[2*n].v), .r(g_sum[t-1].g_node[2*n+1].v), .sum(v));
                end else begin : g_pass
                    assign v = g_sum[t-1].g_node[2*n].v;
                end
            end
        end
    endgenerate
    localparam integer RW = clog2p1(N);
    wire [RW-1:0] root = g_sum[T].g_node[0].v;
    generate
        if (W > RW) begin : g_wide
            assign count = {{(W-RW){1'b0}}, root};
        end else if (W == RW) begin : g_exact
            assign count = root;
        end else begin : g_narrow                       // the count modulo 2**W
            assign count = root[W-1:0];
            // verilator lint_off UNUSEDSIGNAL
            wire unused_high = |root[RW-1:W];
            // verilator lint_on UNUSEDSIGNAL
        end
    endgenerate
endmodule

// verilator lint_off DECLFILENAME
// One adder of bnf_popcount's tree, kept whole: merged with its neighbours, synthesis would
// turn the tree into one multi-operand sum of full adders in LUTs (half as dear again).
(* keep_hierarchy *)
module bnf_popcount_add #(
    parameter integer LW = 2,              // l is the wider operand
    parameter integer RW = 2,
    parameter integer OW = 3
) (
    input  wire [LW-1:0] l,
    input  wire [RW-1:0] r,
    output wire [OW-1:0] sum
);
    wire [LW:0] total = {1'b0, l} + {{(LW+1-RW){1'b0}}, r};
    assign sum = total[OW-1:0];
    // verilator lint_off UNUSEDSIGNAL
    wire unused = |total;
    // verilator lint_on UNUSEDSIGNAL
endmodule
// verilator lint_on DECLFILENAME

`default_nettype wire
