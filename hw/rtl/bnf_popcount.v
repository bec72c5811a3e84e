// bnnforge: population count of N bits as a compressor tree (hand-written, not generated).
//
// Level 0 is the input. Each level counts every group of six bits of every vector of the
// level above with one 6-input function per count bit (three LUT6 per six bits) and
// splits the 3-bit counts by weight: the 1s bits, the 2s bits and the 4s bits of all
// groups form three new vectors. Compressing by column like this costs about one LUT per
// input bit, where an adder tree of whole 3-bit numbers costs 1.5-2. When the vectors are
// at most six bits long, their counts are shifted by their accumulated weight and summed
// by a balanced adder tree.
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
    // length of the vectors at level l
    function integer len_at(input integer l);
        integer i;
        begin
            len_at = N;
            for (i = 0; i < l; i = i + 1) len_at = (len_at + 5) / 6;
        end
    endfunction

    function integer levels(input integer unused);
        begin
            levels = 0;
            while (len_at(levels) > 6) levels = levels + 1;
        end
    endfunction

    function integer pow3(input integer e);
        integer i;
        begin
            pow3 = 1;
            for (i = 0; i < e; i = i + 1) pow3 = pow3 * 3;
        end
    endfunction

    // weight (as a shift) of vector j of the last level: the sum of its base-3 digits
    function integer shift_of(input integer j);
        integer r;
        begin
            shift_of = 0;
            for (r = j; r > 0; r = r / 3) shift_of = shift_of + r % 3;
        end
    endfunction

    localparam integer L = levels(0);
    localparam integer LEN = len_at(L);
    localparam integer NV = pow3(L);

    genvar l, p, g;
    generate
        for (l = 0; l <= L; l = l + 1) begin : g_lvl
            localparam integer VLEN = len_at(l);
            wire [pow3(l)*VLEN-1:0] vec;
            if (l == 0) begin : g_in
                assign vec = bits;
            end else begin : g_count
                localparam integer PLEN = len_at(l - 1);
                for (p = 0; p < pow3(l - 1); p = p + 1) begin : g_parent
                    for (g = 0; g < VLEN; g = g + 1) begin : g_six
                        // the last group of a vector may be short: count only real bits
                        localparam integer K = PLEN - 6 * g < 6 ? PLEN - 6 * g : 6;
                        localparam [N+5:0] INV_ALL = {6'b0, INVERT};
                        localparam [5:0] INV6 = l == 1 ? INV_ALL[6*g +: 6] : 6'b0;
                        wire [2:0] c;
                        bnf_count6 #(.K(K), .INV(INV6[K-1:0])) u_count6 (
                            .bits(g_lvl[l-1].vec[p*PLEN + 6*g +: K]), .count(c));
                        assign vec[(3*p + 0)*VLEN + g] = c[0];
                        assign vec[(3*p + 1)*VLEN + g] = c[1];
                        assign vec[(3*p + 2)*VLEN + g] = c[2];
                    end
                end
            end
        end
    endgenerate

    // last level: NV vectors of at most six bits. Each is counted (three LUT6) and the
    // counts, shifted by their accumulated weight, are summed by a balanced adder tree.
    localparam integer T = tree_levels(0);
    function integer tree_levels(input integer unused);
        begin
            tree_levels = 0;
            while ((1 << tree_levels) < NV) tree_levels = tree_levels + 1;
        end
    endfunction

    genvar t, n;
    generate
        for (t = 0; t <= T; t = t + 1) begin : g_sum
            localparam integer NODES = (NV + (1 << t) - 1) >> t;
            wire [W*NODES-1:0] node;
            for (n = 0; n < NODES; n = n + 1) begin : g_node
                if (t == 0) begin : g_leaf
                    localparam [N+5:0] INV_ALL = {6'b0, INVERT};
                    localparam [5:0] INV6 = L == 0 ? INV_ALL[5:0] : 6'b0;
                    wire [2:0] c;
                    bnf_count6 #(.K(LEN), .INV(INV6[LEN-1:0])) u_count6 (.bits(g_lvl[L].vec[n*LEN +: LEN]), .count(c));
                    wire [W+2:0] wide = {{W{1'b0}}, c} << shift_of(n);
                    assign node[n*W +: W] = wide[W-1:0];
                    // verilator lint_off UNUSEDSIGNAL
                    wire unused_high = |wide[W+2:W];
                    // verilator lint_on UNUSEDSIGNAL
                end else if (2 * n + 1 < ((NV + (1 << (t - 1)) - 1) >> (t - 1))) begin : g_add
                    assign node[n*W +: W] = g_sum[t-1].node[2*n*W +: W] + g_sum[t-1].node[(2*n+1)*W +: W];
                end else begin : g_pass
                    assign node[n*W +: W] = g_sum[t-1].node[2*n*W +: W];
                end
            end
        end
    endgenerate
    assign count = g_sum[T].node[W-1:0];
endmodule

`default_nettype wire
