// bnnforge: population count of N bits as a compressor tree (hand-written, not generated).
//
// Level 0 is the input. Each level counts every group of six bits of every vector of the
// level above with one 6-input function per count bit (three LUT6 per six bits) and
// splits the 3-bit counts by weight: the 1s bits, the 2s bits and the 4s bits of all
// groups form three new vectors. Compressing by column like this costs about one LUT per
// input bit, where an adder tree of whole 3-bit numbers costs 1.5-2. When the vectors are
// at most six bits long, their counts are shifted by their accumulated weight and summed.
`default_nettype none

module bnf_popcount #(
    parameter integer N = 64,
    parameter integer W = $clog2(N + 1)     // output width
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

    genvar l, p, g, i;
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
                        wire [5:0] six;
                        for (i = 0; i < 6; i = i + 1) begin : g_bit
                            if (6 * g + i < PLEN) begin : g_real
                                assign six[i] = g_lvl[l-1].vec[p*PLEN + 6*g + i];
                            end else begin : g_pad
                                assign six[i] = 1'b0;
                            end
                        end
                        wire [2:0] c = {2'b00, six[0]} + {2'b00, six[1]} + {2'b00, six[2]}
                                     + {2'b00, six[3]} + {2'b00, six[4]} + {2'b00, six[5]};
                        assign vec[(3*p + 0)*VLEN + g] = c[0];
                        assign vec[(3*p + 1)*VLEN + g] = c[1];
                        assign vec[(3*p + 2)*VLEN + g] = c[2];
                    end
                end
            end
        end
    endgenerate

    // last level: NV vectors of at most six bits, each with its own weight
    wire [NV*LEN-1:0] last = g_lvl[L].vec;
    reg [31:0] total;
    integer j, k;
    always @(*) begin
        total = 32'd0;
        for (j = 0; j < NV; j = j + 1)
            for (k = 0; k < LEN; k = k + 1)
                total = total + ({31'd0, last[j*LEN + k]} << shift_of(j));
    end
    assign count = total[W-1:0];
    // verilator lint_off UNUSEDSIGNAL
    wire unused_high = |total[31:W];
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
