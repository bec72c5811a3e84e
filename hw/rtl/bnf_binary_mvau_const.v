// bnnforge: fully unrolled binary matrix-vector unit (PE = MH, SIMD = MW) with the weights
// as constants in logic: one MW-bit input vector per cycle, one word of MH outputs per cycle.
//
// Every output is a bnf_popcount whose inputs are inverted where the weight bit is 0
// (xnor with a constant), so there is no weight memory and the inversions ride in the
// counters' LUTs. The padded-tap corrections of a k x k conv are constants too: per output,
// a table of biases corr - MW (- t with THRESH) over the pixel's border class, selected by
// the output row and column counters, so each output takes one adder after its popcount.
// Outputs: the signed dots dot = 2 * popcount - MW + corr, or with THRESH the bits dot >= t.
// The emitter passes the constants as Verilog literals (bnnforge BinaryMVAU.rtl_memories).
`default_nettype none

module bnf_binary_mvau_const #(
    parameter integer MW = 16,
    parameter integer MH = 8,
    parameter integer OUT_W = 6,          // signed dot width
    parameter integer OH = 1,             // output pixels per frame: OH x OW
    parameter integer OW = 1,
    parameter integer NROWCLS = 1,
    parameter integer NCOLCLS = 1,
    parameter integer THRESH = 0,         // 1: output bits dot >= threshold
    // output o's weight bits at [o*MW +: MW], bit i for input i (1 = +1)
    parameter [MH*MW-1:0] WEIGHTS = {(MH*MW){1'b1}},
    // border class c = row class * NCOLCLS + column class; output o's bias corr - MW (- t)
    // at [(c*MH + o)*ACC_W +: ACC_W], ACC_W = OUT_W (+ 1 with THRESH), two's complement
    parameter [NROWCLS*NCOLCLS*MH*(OUT_W+(THRESH != 0 ? 1 : 0))-1:0] BIAS = 0,
    // per output row: row class * NCOLCLS; per output column: column class (CLW bits each)
    parameter [OH*(NROWCLS*NCOLCLS > 1 ? $clog2(NROWCLS*NCOLCLS) : 1)-1:0] ROWCLS = 0,
    parameter [OW*(NROWCLS*NCOLCLS > 1 ? $clog2(NROWCLS*NCOLCLS) : 1)-1:0] COLCLS = 0,
    parameter integer IN_TW = ((MW + 7) / 8) * 8,
    parameter integer OUT_TW = ((MH * (THRESH != 0 ? 1 : OUT_W) + 7) / 8) * 8
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
    localparam integer EW = THRESH != 0 ? 1 : OUT_W;  // output element width
    localparam integer NCLS = NROWCLS * NCOLCLS;
    localparam integer AW = $clog2(MW + 1);            // popcount width (OUT_W >= AW + 1)
    // the dot modulo 2**OUT_W (it fits), or dot - t in [-2MW-1, 2MW] (THRESH)
    localparam integer ACC_W = OUT_W + (THRESH != 0 ? 1 : 0);
    localparam integer CLW = NCLS > 1 ? $clog2(NCLS) : 1;
    localparam integer YW = OH > 1 ? $clog2(OH) : 1;
    localparam integer XW = OW > 1 ? $clog2(OW) : 1;
    localparam [31:0] OH_M1 = OH - 1, OW_M1 = OW - 1;
    localparam [YW-1:0] OH_LAST = OH_M1[YW-1:0];
    localparam [XW-1:0] OW_LAST = OW_M1[XW-1:0];

    reg [OUT_TW-1:0] out_data;
    reg out_valid;
    wire take = in0_V_TVALID && in0_V_TREADY;
    assign in0_V_TREADY = !out_valid || out0_V_TREADY;
    assign out0_V_TDATA = out_data;
    assign out0_V_TVALID = out_valid;
    wire [MW-1:0] x = in0_V_TDATA[MW-1:0];

    // ---- border class of this pixel: constant tables over the row and column counters ----
    reg [YW-1:0] oy;
    reg [XW-1:0] ox;
    wire [CLW-1:0] rowbase [0:OH-1];
    wire [CLW-1:0] colbase [0:OW-1];
    genvar i;
    generate
        for (i = 0; i < OH; i = i + 1) begin : g_row
            assign rowbase[i] = ROWCLS[i*CLW +: CLW];
        end
        for (i = 0; i < OW; i = i + 1) begin : g_col
            assign colbase[i] = COLCLS[i*CLW +: CLW];
        end
    endgenerate
    wire [CLW-1:0] cls = rowbase[oy] + colbase[ox];

    // ---- one constant-weight XNOR-popcount per output ---------------------------------------
    wire [MH*EW-1:0] outs;
    genvar o, k;
    generate
        for (o = 0; o < MH; o = o + 1) begin : g_out
            wire [AW-1:0] pc;
            bnf_popcount #(.N(MW), .W(AW), .INVERT(~WEIGHTS[o*MW +: MW])) u_pc (.bits(x), .count(pc));
            wire [ACC_W-1:0] btab [0:NCLS-1];
            for (k = 0; k < NCLS; k = k + 1) begin : g_cls
                assign btab[k] = BIAS[(k*MH + o)*ACC_W +: ACC_W];
            end
            wire [ACC_W+AW:0] twice = {{ACC_W{1'b0}}, pc, 1'b0};
            wire [ACC_W-1:0] total = btab[cls] + twice[ACC_W-1:0];
            if (THRESH != 0) begin : g_bit
                assign outs[o] = !total[ACC_W-1];      // dot - t >= 0
            end else begin : g_dot
                assign outs[o*OUT_W +: OUT_W] = total;
            end
            // verilator lint_off UNUSEDSIGNAL
            wire unused_high = |twice[ACC_W+AW:ACC_W];
            // verilator lint_on UNUSEDSIGNAL
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            oy <= {YW{1'b0}};
            ox <= {XW{1'b0}};
            out_valid <= 1'b0;
        end else begin
            if (out_valid && out0_V_TREADY) out_valid <= 1'b0;
            if (take) begin
                out_data <= {{(OUT_TW-MH*EW){1'b0}}, outs};
                out_valid <= 1'b1;
                ox <= (ox == OW_LAST) ? {XW{1'b0}} : ox + 1'b1;
                if (ox == OW_LAST) oy <= (oy == OH_LAST) ? {YW{1'b0}} : oy + 1'b1;
            end
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
