// bnnforge: binary matrix-vector unit (XNOR-popcount) with PE x SIMD folding.
//
// Per output vector it reads MW/SIMD input words (SIMD bits each) and produces MH/PE output
// words of PE signed dot products dot = 2 * popcount(xnor(x, w)) - MW + corr. The input
// vector is kept while the NF = MH/PE output folds reuse it, so the unit takes
// NF * SF cycles per vector, one fold step per cycle, stalling only on the streams.
// corr adds back the weights of taps that fell into the zero padding of a k x k conv (the
// window generator sends -1 there): a small table indexed by the pixel's border class
// (row class, column class) and the fold, read from memory files the emitter writes.
`default_nettype none

module bnf_binary_mvau #(
    parameter integer MW = 16,
    parameter integer MH = 8,
    parameter integer PE = 2,
    parameter integer SIMD = 4,
    parameter integer OUT_W = 6,          // signed dot width
    parameter integer OH = 1,             // output pixels per frame: OH x OW
    parameter integer OW = 1,
    parameter integer NROWCLS = 1,
    parameter integer NCOLCLS = 1,
    parameter WEIGHT_FILE = "",           // NF*SF words of PE*SIMD bits, hex
    parameter CORR_FILE = "",             // NROWCLS*NCOLCLS*NF words of PE*OUT_W bits, hex
    parameter ROWCLS_FILE = "",           // per output row: row class * NCOLCLS * NF
    parameter COLCLS_FILE = "",           // per output column: column class * NF
    parameter integer IN_TW = ((SIMD + 7) / 8) * 8,
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
    localparam integer SF = MW / SIMD;
    localparam integer NF = MH / PE;
    localparam integer NCLS = NROWCLS * NCOLCLS;
    localparam integer CW = $clog2(SIMD + 1);          // popcount width
    localparam integer AW = $clog2(MW + 1);            // accumulator width (OUT_W = AW + 1)
    // index widths: exactly what each memory or counter needs (Verilator -Wall checks them)
    localparam integer SW = SF > 1 ? $clog2(SF) : 1;
    localparam integer NW = NF > 1 ? $clog2(NF) : 1;
    localparam integer WA = NF * SF > 1 ? $clog2(NF * SF) : 1;
    localparam integer CA = NCLS * NF > 1 ? $clog2(NCLS * NF) : 1;
    localparam integer YW = OH > 1 ? $clog2(OH) : 1;
    localparam integer XW = OW > 1 ? $clog2(OW) : 1;
    localparam [31:0] SF_M1 = SF - 1, NF_M1 = NF - 1, WA_M1 = NF * SF - 1, OH_M1 = OH - 1, OW_M1 = OW - 1;
    localparam [31:0] MW_32 = MW;
    localparam [SW-1:0] SF_LAST = SF_M1[SW-1:0];
    localparam [NW-1:0] NF_LAST = NF_M1[NW-1:0];
    localparam [WA-1:0] WA_LAST = WA_M1[WA-1:0];
    localparam [YW-1:0] OH_LAST = OH_M1[YW-1:0];
    localparam [XW-1:0] OW_LAST = OW_M1[XW-1:0];
    localparam signed [OUT_W:0] MW_S = MW_32[OUT_W:0];

    // ---- parameter memories: weights, padded-tap corrections, border-class bases ----------
    reg [PE*SIMD-1:0] weights [0:NF*SF-1];
    reg [PE*OUT_W-1:0] corr [0:NCLS*NF-1];
    reg [CA-1:0] rowbase [0:OH-1];                     // row class * NCOLCLS * NF
    reg [CA-1:0] colbase [0:OW-1];                     // column class * NF
    initial begin
        $readmemh(WEIGHT_FILE, weights);
        $readmemh(CORR_FILE, corr);
        $readmemh(ROWCLS_FILE, rowbase);
        $readmemh(COLCLS_FILE, colbase);
    end

    // ---- fold and pixel counters --------------------------------------------------------
    reg [SW-1:0] sf;
    reg [NW-1:0] nf;
    reg [WA-1:0] wa;                                   // nf * SF + sf
    reg [YW-1:0] oy;
    reg [XW-1:0] ox;
    wire last_sf = (sf == SF_LAST);
    wire last_nf = (nf == NF_LAST);

    reg [OUT_TW-1:0] out_data;
    reg out_valid;
    wire need_input = (nf == {NW{1'b0}});
    wire out_free = !out_valid || out0_V_TREADY;
    wire step = (!need_input || in0_V_TVALID) && (!last_sf || out_free);

    assign in0_V_TREADY = need_input && (!last_sf || out_free);
    assign out0_V_TDATA = out_data;
    assign out0_V_TVALID = out_valid;

    // ---- input vector kept for the folds after the first ---------------------------------
    reg [SIMD-1:0] inbuf [0:SF-1];
    wire [SIMD-1:0] x = need_input ? in0_V_TDATA[SIMD-1:0] : inbuf[sf];
    wire [PE*SIMD-1:0] w = weights[wa];
    wire [CA-1:0] ca = rowbase[oy] + colbase[ox] + {{(CA-NW){1'b0}}, nf};  // CA >= NW
    wire [PE*OUT_W-1:0] c = corr[ca];

    reg [AW-1:0] acc [0:PE-1];
    wire [PE*OUT_W-1:0] dots;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [CW-1:0] pc;
            bnf_popcount #(.N(SIMD), .W(CW)) u_pc (.bits(x ~^ w[p*SIMD +: SIMD]), .count(pc));
            wire [AW-1:0] total = (sf == {SW{1'b0}} ? {AW{1'b0}} : acc[p]) + {{(AW-CW){1'b0}}, pc};
            wire signed [OUT_W:0] corr_p = {c[p*OUT_W + OUT_W-1], c[p*OUT_W +: OUT_W]};
            wire signed [OUT_W:0] dot = $signed({total, 1'b0}) - MW_S + corr_p;
            assign dots[p*OUT_W +: OUT_W] = dot[OUT_W-1:0];
            always @(posedge ap_clk) if (step) acc[p] <= total;
            // verilator lint_off UNUSEDSIGNAL
            wire unused_sign = dot[OUT_W];
            // verilator lint_on UNUSEDSIGNAL
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            sf <= {SW{1'b0}};
            nf <= {NW{1'b0}};
            wa <= {WA{1'b0}};
            oy <= {YW{1'b0}};
            ox <= {XW{1'b0}};
            out_valid <= 1'b0;
        end else begin
            if (out_valid && out0_V_TREADY) out_valid <= 1'b0;
            if (step) begin
                if (need_input) inbuf[sf] <= in0_V_TDATA[SIMD-1:0];
                if (last_sf) begin
                    out_data <= {{(OUT_TW-PE*OUT_W){1'b0}}, dots};
                    out_valid <= 1'b1;
                end
                sf <= last_sf ? {SW{1'b0}} : sf + 1'b1;
                wa <= (wa == WA_LAST) ? {WA{1'b0}} : wa + 1'b1;
                if (last_sf) begin
                    nf <= last_nf ? {NW{1'b0}} : nf + 1'b1;
                    if (last_nf) begin
                        ox <= (ox == OW_LAST) ? {XW{1'b0}} : ox + 1'b1;
                        if (ox == OW_LAST) oy <= (oy == OH_LAST) ? {YW{1'b0}} : oy + 1'b1;
                    end
                end
            end
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
