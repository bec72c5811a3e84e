// bnnforge: integer matrix-vector unit (the 8-bit layers: first conv, BCDNet-B's context
// maps, the classifier) with PE x SIMD folding.
//
// Per output vector it reads SF = MW/SIMD input words (SIMD codes of IN_W bits) and produces
// NF = MH/PE output words of PE lanes. The input vector is kept while the output folds
// reuse it, so the unit takes NF * SF cycles per vector, one fold step per cycle, stalling
// only on the streams. Each step multiplies SIMD codes by SIMD weights per lane with `*`
// (DSP slices), sums them in an adder tree and accumulates per lane:
//   REQUANT = 0: the accumulator itself, OUT_W bits;
//   REQUANT = 1: y = saturate(round_half_even((acc * 2**LSHIFT + bias * 2**RSHIFT) / 2**RSHIFT))
//                to SAT_W bits (bnf_round_shift), sign-extended to OUT_W; one of RSHIFT,
//                LSHIFT is 0 (d = acc_frac - out_frac = RSHIFT - LSHIFT).
// Pipeline (one global enable, so no throughput is lost under backpressure): weight read and
// input register | product register (DSP MREG) | adder tree + accumulator | output register.
// The weight memory is read synchronously so it can be a block RAM. The op's po2_weights
// (every weight 0 or +-2**k) only changes its cost model: this RTL still multiplies.
`default_nettype none

module bnf_int_mvau #(
    parameter integer MW = 27,
    parameter integer MH = 6,
    parameter integer PE = 3,
    parameter integer SIMD = 9,
    parameter integer IN_W = 8,           // input code width
    parameter integer IN_SIGNED = 1,      // 0: unsigned input codes (UINT8 pixels)
    parameter integer W_W = 8,            // signed weight width
    parameter integer ACC_W = 21,         // accumulator width (holds MW products)
    parameter integer OUT_W = 24,         // output element width on the stream
    parameter integer REQUANT = 0,
    parameter integer RSHIFT = 0,         // REQUANT: bits rounded off (d > 0)
    parameter integer LSHIFT = 0,         // REQUANT: exact left shift of the accumulator (d < 0)
    parameter integer SAT_W = 24,         // REQUANT: saturation width (out_bits <= OUT_W)
    parameter integer BIAS_W = 1,         // REQUANT: signed bias width
    parameter WEIGHT_FILE = "",           // NF*SF words of PE*SIMD weights (W_W bits), hex
    parameter integer WEIGHT_BRAM = 0,    // 1: weights in block RAM (the cost model's choice)
    parameter BIAS_FILE = "",             // REQUANT: NF words of PE biases (BIAS_W bits), hex
    parameter integer IN_TW = ((SIMD * IN_W + 7) / 8) * 8,
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
    localparam integer XB = SIMD * IN_W;               // input vector bits per word
    localparam integer WB = PE * SIMD * W_W;           // weight bits per fold step
    localparam integer PW = IN_W + 1 + W_W;            // exact product width (input sign-extended)
    localparam integer AW = ACC_W > PW ? ACC_W : PW;   // adder tree and accumulator width
    // index widths: exactly what each memory or counter needs (Verilator -Wall checks them)
    localparam integer SW = SF > 1 ? $clog2(SF) : 1;
    localparam integer NW = NF > 1 ? $clog2(NF) : 1;
    localparam integer WA = NF * SF > 1 ? $clog2(NF * SF) : 1;
    localparam [31:0] SF_M1 = SF - 1, NF_M1 = NF - 1, WA_M1 = NF * SF - 1;
    localparam [SW-1:0] SF_LAST = SF_M1[SW-1:0];
    localparam [NW-1:0] NF_LAST = NF_M1[NW-1:0];
    localparam [WA-1:0] WA_LAST = WA_M1[WA-1:0];
    localparam [0:0] X_SIGNED = (IN_SIGNED != 0) ? 1'b1 : 1'b0;

    // ---- fold counters and the global pipeline enable ----------------------------------
    reg [SW-1:0] sf;
    reg [NW-1:0] nf;
    reg [WA-1:0] wa;                                   // nf * SF + sf
    wire last_sf = (sf == SF_LAST);
    wire last_nf = (nf == NF_LAST);
    wire need_input = (nf == {NW{1'b0}});

    reg v1, f1, l1;                                    // stage 1: valid, first / last fold step
    reg v2, f2, l2;                                    // stage 2
    reg v3, l3;                                        // stage 3: the accumulators
    reg [OUT_TW-1:0] out_data;
    reg out_valid;
    wire out_free = !out_valid || out0_V_TREADY;
    // the only stall: a finished accumulator that cannot move into the output register
    wire adv = out_free || !(v3 && l3);
    wire load = adv && v3 && l3;
    wire step = adv && (!need_input || in0_V_TVALID);

    assign in0_V_TREADY = need_input && adv;
    assign out0_V_TDATA = out_data;
    assign out0_V_TVALID = out_valid;

    // ---- stage 1: input vector (kept for the folds after the first) and weight read -----
    reg [XB-1:0] inbuf [0:SF-1];
    wire [XB-1:0] x_in = need_input ? in0_V_TDATA[XB-1:0] : inbuf[sf];
    reg [XB-1:0] x1;
    reg [WB-1:0] w1;
    always @(posedge ap_clk) if (step && need_input) inbuf[sf] <= in0_V_TDATA[XB-1:0];
    always @(posedge ap_clk) if (step) x1 <= x_in;
    generate
        if (WEIGHT_BRAM != 0) begin : g_wbram
            // without the attribute Yosys builds any ROM from LUTs
            (* rom_style = "block" *) reg [WB-1:0] weights [0:NF*SF-1];
            initial $readmemh(WEIGHT_FILE, weights);
            always @(posedge ap_clk) if (step) w1 <= weights[wa];
        end else begin : g_wlut
            reg [WB-1:0] weights [0:NF*SF-1];
            initial $readmemh(WEIGHT_FILE, weights);
            always @(posedge ap_clk) if (step) w1 <= weights[wa];
        end
    endgenerate

    // ---- stages 2 and 3 per lane: products, adder tree, accumulator --------------------
    wire [PE*AW-1:0] accs;
    genvar p, s, i;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [SIMD*PW-1:0] prod;
            reg [SIMD*PW-1:0] prod2;
            // heap-ordered tree: leaves at SIMD-1 .. 2*SIMD-2, node i = node 2i+1 + node 2i+2
            wire [(2*SIMD-1)*AW-1:0] tree;
            for (s = 0; s < SIMD; s = s + 1) begin : g_simd
                wire [IN_W-1:0] xc = x1[s*IN_W +: IN_W];
                wire [W_W-1:0] wc = w1[(p*SIMD + s)*W_W +: W_W];
                wire signed [PW-1:0] xs = {{(PW-IN_W){X_SIGNED & xc[IN_W-1]}}, xc};
                wire signed [PW-1:0] ws = {{(PW-W_W){wc[W_W-1]}}, wc};
                assign prod[s*PW +: PW] = xs * ws;     // exact: |x * w| < 2**(PW-1)
                wire [PW-1:0] ps = prod2[s*PW +: PW];
                if (AW > PW) begin : g_ext
                    assign tree[(SIMD-1+s)*AW +: AW] = {{(AW-PW){ps[PW-1]}}, ps};
                end else begin : g_same
                    assign tree[(SIMD-1+s)*AW +: AW] = ps;
                end
            end
            for (i = 0; i < SIMD - 1; i = i + 1) begin : g_tree
                assign tree[i*AW +: AW] = tree[(2*i+1)*AW +: AW] + tree[(2*i+2)*AW +: AW];
            end
            reg [AW-1:0] acc;
            always @(posedge ap_clk) if (adv) prod2 <= prod;
            always @(posedge ap_clk) if (adv && v2) acc <= f2 ? tree[AW-1:0] : acc + tree[AW-1:0];
            assign accs[p*AW +: AW] = acc;
        end
    endgenerate

    // ---- output values: the accumulator, or bias + rounding + saturation ---------------
    wire [PE*OUT_W-1:0] ys;
    generate
        if (REQUANT != 0) begin : g_rq
            localparam integer S_W = (AW + LSHIFT > BIAS_W + RSHIFT ? AW + LSHIFT : BIAS_W + RSHIFT) + 1;
            localparam integer RW = RSHIFT > 0 ? $clog2(RSHIFT + 1) : 1;
            localparam [31:0] RSHIFT_32 = RSHIFT;
            reg [PE*BIAS_W-1:0] biases [0:NF-1];
            initial $readmemh(BIAS_FILE, biases);
            reg [NW-1:0] bf;                           // output fold of the word being loaded
            always @(posedge ap_clk) begin
                if (!ap_rst_n) bf <= {NW{1'b0}};
                else if (load) bf <= (bf == NF_LAST) ? {NW{1'b0}} : bf + 1'b1;
            end
            wire [PE*BIAS_W-1:0] bword = biases[bf];
            for (p = 0; p < PE; p = p + 1) begin : g_lane
                wire [AW-1:0] a = accs[p*AW +: AW];
                wire [BIAS_W-1:0] b = bword[p*BIAS_W +: BIAS_W];
                wire signed [S_W-1:0] ae = {{(S_W-AW){a[AW-1]}}, a};
                wire signed [S_W-1:0] be = {{(S_W-BIAS_W){b[BIAS_W-1]}}, b};
                wire signed [S_W-1:0] total = (ae <<< LSHIFT) + (be <<< RSHIFT);
                wire signed [SAT_W-1:0] r;
                bnf_round_shift #(.IN_W(S_W), .OUT_W(SAT_W), .SW(RW)) u_round (
                    .x(total), .shift(RSHIFT_32[RW-1:0]), .y(r));
                if (OUT_W > SAT_W) begin : g_ext
                    assign ys[p*OUT_W +: OUT_W] = {{(OUT_W-SAT_W){r[SAT_W-1]}}, r};
                end else begin : g_same
                    assign ys[p*OUT_W +: OUT_W] = r;
                end
            end
        end else begin : g_acc
            for (p = 0; p < PE; p = p + 1) begin : g_lane
                wire [AW-1:0] a = accs[p*AW +: AW];
                if (OUT_W > AW) begin : g_ext
                    assign ys[p*OUT_W +: OUT_W] = {{(OUT_W-AW){a[AW-1]}}, a};
                end else begin : g_trunc
                    // the op's out_dtype holds every accumulator value: the top bits are sign
                    assign ys[p*OUT_W +: OUT_W] = a[OUT_W-1:0];
                    if (AW > OUT_W) begin : g_pad
                        // verilator lint_off UNUSEDSIGNAL
                        wire unused_top = |a[AW-1:OUT_W];
                        // verilator lint_on UNUSEDSIGNAL
                    end
                end
            end
        end
    endgenerate

    // ---- control -------------------------------------------------------------------------
    always @(posedge ap_clk) if (adv) begin
        f1 <= (sf == {SW{1'b0}});
        l1 <= last_sf;
        f2 <= f1;
        l2 <= l1;
        l3 <= l2;
    end

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            sf <= {SW{1'b0}};
            nf <= {NW{1'b0}};
            wa <= {WA{1'b0}};
            v1 <= 1'b0;
            v2 <= 1'b0;
            v3 <= 1'b0;
            out_valid <= 1'b0;
        end else begin
            if (out_valid && out0_V_TREADY) out_valid <= 1'b0;
            if (load) begin
                out_data <= {{(OUT_TW-PE*OUT_W){1'b0}}, ys};
                out_valid <= 1'b1;
            end
            if (adv) begin
                v1 <= step;
                v2 <= v1;
                v3 <= v2;
            end
            if (step) begin
                sf <= last_sf ? {SW{1'b0}} : sf + 1'b1;
                wa <= (wa == WA_LAST) ? {WA{1'b0}} : wa + 1'b1;
                if (last_sf) nf <= last_nf ? {NW{1'b0}} : nf + 1'b1;
            end
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
