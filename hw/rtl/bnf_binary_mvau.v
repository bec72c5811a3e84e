// bnnforge: binary matrix-vector unit (XNOR-popcount) with PE x SIMD folding.
//
// Per output vector it reads G*MW/SIMD input words (SIMD bits each) and produces MH/PE
// output words of PE signed dot products dot = 2 * popcount(xnor(x, w)) - MW + corr, or
// with THRESH of PE bits dot >= t (batch norm + sign fused into a threshold per output,
// which enters the bias table below: no comparator, no separate threshold memory).
// The NF = MH/PE output folds reuse the input vector, so the unit takes NF * SF cycles
// per vector (SF = MW/SIMD), one fold step per cycle, stalling only on the streams.
// Zero padding of a k x k conv: the window generator sends -1 bits there, which must count
// as 0. Two ways, chosen by the emitter:
// - PAD_STEP = 1 (each SIMD word lies within one kernel tap, SIMD even): a step's word is
//   padding when its tap's kernel row is padded at this output row or its kernel column at
//   this output column (a K-bit mask per output row and per output column, and tap and pixel
//   counters that run one step ahead, with the weight read). Such a step reads, instead of
//   its weights, PAD_WORD: in every lane SIMD/2 ones and SIMD/2 zeros, loaded by the weight
//   register's synchronous reset (free in block RAM and in flip-flops). Against the all-zero
//   padding input it agrees in exactly SIMD/2 bits, so the step adds SIMD, which against the
//   -MW in the bias is exactly +0, with no logic in the lanes. The bias is then per output
//   only (NF words), as without padding.
// - PAD_STEP = 0 (words straddle taps): corr adds back the weights of the padded taps, from
//   a bias table indexed by the border class and the fold (NCLS*NF words of PE biases).
// Border class = (row class, column class), read from memory files the emitter writes.
// OUT_W >= $clog2(MW + 1) + 1 (the emitter passes the signed width of [-MW, MW]).
//
// Every step's weight word (and with G = 1 its input word) comes from a register loaded one
// cycle before (`load`), and the step itself (`step`) runs when they are held and the output
// can take its result: the fold, pixel and address counters name the held step. G = 1: fold
// 0 loads the input words as they arrive and keeps them for the later folds (latency SF + 1),
// in a LUTRAM or, with sliced weights (WROM_SLICE), in the spare rows of the weight slices'
// block RAMs through their second port (XBUF_SPARE), which in write-first mode also hands
// the word being written to its read register: the lanes see one register, no select.
// G > 1 (grouped conv, FTBNN group execution): the input vector holds KK taps x G groups x
// MW/KK channels and output fold nf belongs to group nf / (NF/G), which sees only its group's
// channels: only MW weights per output are stored. The whole vector is loaded into one bank
// of a double buffer while the folds read the other bank by address; loading G*SF words
// takes no longer than the NF*SF fold steps (PE divides MH/G, so NF >= G), so the rate stays
// NF*SF cycles per vector and the latency is the load plus one fold, (G + 1) * SF.
`default_nettype none

module bnf_binary_mvau #(
    parameter integer MW = 16,            // inputs per output (per group)
    parameter integer MH = 8,
    parameter integer PE = 2,
    parameter integer SIMD = 4,
    parameter integer OUT_W = 6,          // signed dot width
    parameter integer OH = 1,             // output pixels per frame: OH x OW
    parameter integer OW = 1,
    parameter integer NROWCLS = 1,
    parameter integer NCOLCLS = 1,
    parameter integer G = 1,              // groups
    parameter integer KK = 1,             // kernel taps k*k (the grouped vector's layout)
    parameter integer K = 1,              // kernel size k (PAD_STEP's tap counters)
    parameter integer THRESH = 0,         // 1: output bits dot >= threshold
    // 1: every accumulator starts each output from the same bias START (no padding table,
    // no thresholds): loaded by the flip-flops' synchronous set/reset, no start multiplexer
    parameter integer FIXED_START = 0,
    parameter integer START = 0,          // two's complement in ACC_W bits (non-negative)
    parameter integer WROM_BLOCK = 0,     // 1: the weight ROM in block RAM (memory.weight_rom_style)
    parameter integer WROM_SLICE = 0,     // > 0 (block RAM): one memory per WROM_SLICE bits of the word
    parameter integer XBUF_SPARE = 0,     // 1 (WROM_SLICE, G = 1): input vector in the slices' spare rows
    parameter integer PAD_STEP = 0,       // 1: padded steps from ROWPAD_FILE / COLPAD_FILE (see above)
    parameter WEIGHT_FILE = "",           // NF*SF words of PE*SIMD bits, hex (WROM_SLICE: the slice files' stem)
    parameter BIAS_FILE = "",             // (PAD_STEP ? 1 : NCLS)*NF words of PE*ACC_W bits, hex
    parameter ROWPAD_FILE = "",           // PAD_STEP, per output row: K bits, bit ky = kernel row ky padded
    parameter COLPAD_FILE = "",           // PAD_STEP, per output column: K bits, bit kx = kernel column kx padded
    parameter ROWCLS_FILE = "",           // !PAD_STEP, per output row: row class * NCOLCLS * NF
    parameter COLCLS_FILE = "",           // !PAD_STEP, per output column: column class * NF
    parameter integer IN_TW = ((SIMD + 7) / 8) * 8,
    parameter integer OUT_TW = ((PE * (THRESH != 0 ? 1 : OUT_W) + 7) / 8) * 8
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
    localparam integer EW = THRESH != 0 ? 1 : OUT_W;  // output element width
    localparam integer NCLS = NROWCLS * NCOLCLS;
    localparam integer CW = $clog2(SIMD + 1);          // popcount width
    // accumulator: the dot modulo 2**OUT_W (it fits), or dot - t in [-2MW-1, 2MW] (THRESH)
    localparam integer ACC_W = OUT_W + (THRESH != 0 ? 1 : 0);
    // index widths: exactly what each memory or counter needs (Verilator -Wall checks them)
    localparam integer SW = SF > 1 ? $clog2(SF) : 1;
    localparam integer NW = NF > 1 ? $clog2(NF) : 1;
    localparam integer WA = NF * SF > 1 ? $clog2(NF * SF) : 1;
    localparam integer NB = (PAD_STEP != 0 ? 1 : NCLS) * NF;  // bias words
    localparam integer CA = NB > 1 ? $clog2(NB) : 1;
    localparam integer YW = OH > 1 ? $clog2(OH) : 1;
    localparam integer XW = OW > 1 ? $clog2(OW) : 1;
    localparam [31:0] SF_M1 = SF - 1, NF_M1 = NF - 1, WA_M1 = NF * SF - 1, OH_M1 = OH - 1, OW_M1 = OW - 1;
    localparam [SW-1:0] SF_LAST = SF_M1[SW-1:0];
    localparam [NW-1:0] NF_LAST = NF_M1[NW-1:0];
    localparam [WA-1:0] WA_LAST = WA_M1[WA-1:0];
    localparam [YW-1:0] OH_LAST = OH_M1[YW-1:0];
    localparam [XW-1:0] OW_LAST = OW_M1[XW-1:0];
    localparam integer AT_LAST = G == 1 ? 1 : 0;       // the counters' reset (see below)
    // up to this many triples of (x, w) pairs a lane counts into its accumulator with no adder
    // (bnf_binary_mvau_lane); beyond, a popcount tree and one adder
    localparam integer LANE_CHAIN_TRIPLES = 37;

    // ---- fold and pixel counters --------------------------------------------------------
    // SF a power of two (and SF, NF > 1): the weight address nf * SF + sf is {nf, sf}, so
    // one counter serves all three; else sf and nf count beside it
    localparam integer SPLIT_WA = (SF > 1 && NF > 1 && (SF & (SF - 1)) == 0) ? 1 : 0;
    wire [SW-1:0] sf;
    wire [NW-1:0] nf;
    reg [WA-1:0] wa;                                   // nf * SF + sf
    reg [YW-1:0] oy;
    reg [XW-1:0] ox;
    wire last_sf = (sf == SF_LAST);
    wire last_nf = (nf == NF_LAST);
    // verilator lint_off UNUSEDSIGNAL
    wire [SW-1:0] sf_next = last_sf ? {SW{1'b0}} : sf + 1'b1;  // sf after this step
    // verilator lint_on UNUSEDSIGNAL

    reg [OUT_TW-1:0] out_data;
    reg out_valid;
    wire out_free = !out_valid || out0_V_TREADY;
    wire step;                                         // the held step runs this cycle
    wire load;                                         // the next step's operands are loaded
    wire [SIMD-1:0] x;                                 // the input word of this step
    wire xbuf_en, xbuf_we;                             // XBUF_SPARE: the vector's port
    wire [SW-1:0] xbuf_a;
    wire [SIMD-1:0] xbuf_q;

    assign out0_V_TDATA = out_data;
    assign out0_V_TVALID = out_valid;

    generate
        if (G != 1 || XBUF_SPARE == 0) begin : g_no_xbuf  // the vector's port of the weight ROM is idle
            assign xbuf_en = 1'b0;
            assign xbuf_we = 1'b0;
            assign xbuf_a = sf;
            // verilator lint_off UNUSEDSIGNAL
            wire unused_xbuf = |xbuf_q;
            // verilator lint_on UNUSEDSIGNAL
        end
        if (G == 1) begin : g_stream
            // ---- fold 0 loads the input as it arrives; the later folds read it back ----------
            // The counters start at the vector's last step, so that the first load is step 0.
            reg full;                                  // a step's operands are held
            wire next_in = (nf == {NW{1'b0}} && !last_sf) || (last_nf && last_sf);  // next step in fold 0
            assign step = full && (!last_sf || out_free);
            assign load = (!full || step) && (!next_in || in0_V_TVALID);
            assign in0_V_TREADY = next_in && (!full || step);
            always @(posedge ap_clk)
                if (!ap_rst_n) full <= 1'b0;
                else if (load) full <= 1'b1;
                else if (step) full <= 1'b0;
            if (XBUF_SPARE != 0) begin : g_spare
                // in the weight slices' spare rows, through their second port, word sf_next
                assign xbuf_en = load;
                assign xbuf_we = next_in;
                assign xbuf_a = sf_next;
                assign x = xbuf_q;
            end else if (SF == 1) begin : g_hold
                // the vector is one word: the register keeps it for the later folds
                reg [SIMD-1:0] x_r;
                always @(posedge ap_clk)
                    if (load && next_in) x_r <= in0_V_TDATA[SIMD-1:0];
                assign x = x_r;
            end else begin : g_lutram
                reg [SIMD-1:0] inbuf [0:SF-1];
                reg [SIMD-1:0] x_r;
                always @(posedge ap_clk)
                    if (load) begin
                        if (next_in) inbuf[sf_next] <= in0_V_TDATA[SIMD-1:0];
                        x_r <= next_in ? in0_V_TDATA[SIMD-1:0] : inbuf[sf_next];
                    end
                assign x = x_r;
            end
        end else begin : g_grouped
            // ---- whole vectors, double-buffered; folds read their group's words -------------
            localparam integer IW = G * SF;            // input words per vector
            localparam integer CGW = MW / (KK * SIMD); // words of one group at one tap
            localparam integer NFG = NF / G;           // output folds per group
            localparam integer LW = $clog2(IW);        // IW >= 2
            localparam integer JW = CGW > 1 ? $clog2(CGW) : 1;
            localparam integer FW = NFG > 1 ? $clog2(NFG) : 1;
            localparam [31:0] IW_M1 = IW - 1, CGW_M1 = CGW - 1, NFG_M1 = NFG - 1, CGW_32 = CGW;
            localparam [31:0] TAP_SKIP = (G - 1) * CGW + 1; // last word of a group's tap -> next tap
            localparam [LW-1:0] IW_LAST = IW_M1[LW-1:0];
            localparam [JW-1:0] CGW_LAST = CGW_M1[JW-1:0];
            localparam [FW-1:0] NFG_LAST = NFG_M1[FW-1:0];
            localparam [LW-1:0] SKIP = TAP_SKIP[LW-1:0];
            localparam [LW-1:0] GSTRIDE = CGW_32[LW-1:0];

            reg [SIMD-1:0] vbuf [0:2*(1<<LW)-1];       // {bank, word}
            reg [LW-1:0] la;                           // fill address
            reg wbank, rbank, full0, full1;
            reg [LW-1:0] ra;                           // read address of this step
            reg [LW-1:0] gbase;                        // first word of this fold's group
            reg [JW-1:0] j;                            // word within the group's tap
            reg [FW-1:0] nfg;                          // fold within the group
            wire fill = in0_V_TVALID && in0_V_TREADY;
            wire fill_last = fill && (la == IW_LAST);
            wire done = step && last_sf && last_nf;    // the vector's last step frees its bank
            assign in0_V_TREADY = !(wbank ? full1 : full0);
            assign step = (rbank ? full1 : full0) && (!last_sf || out_free);
            assign load = step;                        // the step's word is read by address
            assign x = vbuf[{rbank, ra}];
            wire [LW-1:0] next_gbase = (nfg != NFG_LAST) ? gbase : (last_nf ? {LW{1'b0}} : gbase + GSTRIDE);

            always @(posedge ap_clk) if (fill) vbuf[{wbank, la}] <= in0_V_TDATA[SIMD-1:0];
            always @(posedge ap_clk) begin
                if (!ap_rst_n) begin
                    la <= {LW{1'b0}};
                    wbank <= 1'b0;
                    rbank <= 1'b0;
                    full0 <= 1'b0;
                    full1 <= 1'b0;
                    ra <= {LW{1'b0}};
                    gbase <= {LW{1'b0}};
                    j <= {JW{1'b0}};
                    nfg <= {FW{1'b0}};
                end else begin
                    if (fill) begin
                        la <= fill_last ? {LW{1'b0}} : la + 1'b1;
                        if (fill_last) wbank <= !wbank;
                    end
                    // a bank is set by the loader and cleared by the folds, never both at once
                    full0 <= (full0 || (fill_last && !wbank)) && !(done && !rbank);
                    full1 <= (full1 || (fill_last && wbank)) && !(done && rbank);
                    if (done) rbank <= !rbank;
                    if (step) begin
                        if (last_sf) begin
                            j <= {JW{1'b0}};
                            nfg <= (nfg == NFG_LAST) ? {FW{1'b0}} : nfg + 1'b1;
                            gbase <= next_gbase;
                            ra <= next_gbase;
                        end else if (j == CGW_LAST) begin
                            j <= {JW{1'b0}};
                            ra <= ra + SKIP;
                        end else begin
                            j <= j + 1'b1;
                            ra <= ra + 1'b1;
                        end
                    end
                end
            end
        end
    endgenerate

    // The weight word of the held step comes registered from a ROM read when it was loaded,
    // at the next address (grouped, during reset: word 0; PAD_WORD with PAD_STEP, through
    // the read register's synchronous reset). ROMs sit in their own kept modules, so synthesis
    // maps each bit as a function of the address alone (one LUT6 per 64 words, or block
    // RAM); merged with the step logic around them they cost 2-3x that.
    wire [PE*SIMD-1:0] w;
    wire [WA-1:0] wa_next = (wa == WA_LAST) ? {WA{1'b0}} : wa + 1'b1;
    wire pad_read;                                     // PAD_STEP: the word read is padding
    localparam [SIMD-1:0] PAD_LANE = {SIMD{1'b1}} >> (SIMD - SIMD / 2);  // SIMD/2 ones
    localparam [PE*SIMD-1:0] PAD_WORD = {PE{PAD_LANE}};
    bnf_binary_mvau_rom #(.W(PE*SIMD), .D(NF*SF), .AW(WA), .SYNC(1), .BLOCK(WROM_BLOCK), .SLICE(WROM_SLICE),
        .CLR_WORD(PAD_WORD), .XON(XBUF_SPARE), .XW(SIMD), .XD(SF), .XAW(SW), .FILE(WEIGHT_FILE)) u_weights (
        .clk(ap_clk), .en(load || (AT_LAST == 0 && !ap_rst_n)), .clr(pad_read),
        .a(ap_rst_n || AT_LAST != 0 ? wa_next : {WA{1'b0}}), .q(w),
        .xen(xbuf_en), .xwe(xbuf_we), .xa(xbuf_a), .xd(in0_V_TDATA[SIMD-1:0]), .xq(xbuf_q));
    // PE signed biases per output fold (PAD_STEP = 0: per border class and fold), corr - MW
    // (- t with THRESH): each lane's accumulator starts from its bias and adds twice the
    // popcount, so that after the last step it holds the dot (or dot - t, whose sign is the
    // output bit) with one adder.
    wire [CA-1:0] ca;                                  // bias address
    generate
        if (PAD_STEP != 0) begin : g_padstep
            // The step whose weight word is loaded is the one after the held step: its
            // place in the fold is sf_next, its tap (ky, kx) = (sf_next / WPT) / K and
            // (sf_next / WPT) % K, constants per place; its pixel (px, py) moves to the next
            // one a load before the held step's does (when the fold's second-last step of the
            // last fold is held: SF >= K*K >= 4). Grouped, step 0 is read during reset: tap
            // (0, 0) at pixel (0, 0) is always padded.
            localparam integer WPT = SF / (K * K);     // words per tap
            localparam [31:0] SF_M2 = SF - 2;
            localparam [SW-1:0] SF_PENULT = SF_M2[SW-1:0];
            reg [YW-1:0] py;
            reg [XW-1:0] px;
            reg [K-1:0] rowpad [0:OH-1];
            reg [K-1:0] colpad [0:OW-1];
            initial begin
                $readmemh(ROWPAD_FILE, rowpad);
                $readmemh(COLPAD_FILE, colpad);
            end
            wire [K-1:0] rmask = rowpad[py];
            wire [K-1:0] cmask = colpad[px];
            wire [SF-1:0] pad_at;                      // per place in the fold
            genvar v;
            for (v = 0; v < SF; v = v + 1) begin : g_place
                assign pad_at[v] = rmask[(v / WPT) / K] | cmask[(v / WPT) % K];
            end
            assign pad_read = (AT_LAST == 0 && !ap_rst_n) || pad_at[sf_next];
            always @(posedge ap_clk) begin
                if (!ap_rst_n) begin
                    px <= {XW{1'b0}};
                    py <= {YW{1'b0}};
                end else if (load && sf == SF_PENULT && last_nf) begin
                    px <= (px == OW_LAST) ? {XW{1'b0}} : px + 1'b1;
                    if (px == OW_LAST) py <= (py == OH_LAST) ? {YW{1'b0}} : py + 1'b1;
                end
            end
            assign ca = nf;                            // CA = NW
            // verilator lint_off UNUSEDSIGNAL
            wire unused_xy = |oy | |ox;
            // verilator lint_on UNUSEDSIGNAL
        end else begin : g_padtable
            assign pad_read = 1'b0;
            if (NCLS > 1) begin : g_cls
                // border-class bases over the pixel counters, so the address is a sum
                reg [CA-1:0] rowbase [0:OH-1];         // row class * NCOLCLS * NF
                reg [CA-1:0] colbase [0:OW-1];         // column class * NF
                initial begin
                    $readmemh(ROWCLS_FILE, rowbase);
                    $readmemh(COLCLS_FILE, colbase);
                end
                assign ca = rowbase[oy] + colbase[ox] + {{(CA-NW){1'b0}}, nf};  // CA >= NW
            end else begin : g_nocls                   // one class: the pixel does not matter
                assign ca = nf;
                // verilator lint_off UNUSEDSIGNAL
                wire unused_xy = |oy | |ox;
                // verilator lint_on UNUSEDSIGNAL
            end
        end
    endgenerate
    wire [PE*ACC_W-1:0] bias;
    // verilator lint_off UNUSEDSIGNAL
    wire bias_xq;                                      // the bias ROM has no second port
    // verilator lint_on UNUSEDSIGNAL
    bnf_binary_mvau_rom #(.W(PE*ACC_W), .D(NB), .AW(CA), .SYNC(0), .FILE(BIAS_FILE)) u_bias (
        .clk(ap_clk), .en(1'b0), .clr(1'b0), .a(ca), .q(bias), .xen(1'b0), .xwe(1'b0), .xa(1'b0), .xd(1'b0), .xq(bias_xq));

    reg [ACC_W-1:0] acc [0:PE-1];
    wire [PE*EW-1:0] outs;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [ACC_W-1:0] start;                    // what this step's count is added to
            wire [ACC_W-1:0] total;                    // start + 2 * popcount(xnor(x, w))
            if (FIXED_START != 0) begin : g_fixed
                // the accumulator holds the start value from reset and from every last step
                localparam [31:0] START32 = START;
                localparam [ACC_W-1:0] ST = START32[ACC_W-1:0];
                assign start = acc[p];
                always @(posedge ap_clk)
                    if (!ap_rst_n || (step && last_sf)) acc[p] <= ST;
                    else if (step) acc[p] <= total;
                // verilator lint_off UNUSEDSIGNAL
                wire unused_bias = |bias[p*ACC_W +: ACC_W];
                // verilator lint_on UNUSEDSIGNAL
            end else begin : g_table
                assign start = sf == {SW{1'b0}} ? bias[p*ACC_W +: ACC_W] : acc[p];
                always @(posedge ap_clk) if (step) acc[p] <= total;
            end
            if ((SIMD + 2) / 3 <= LANE_CHAIN_TRIPLES) begin : g_chained
                bnf_binary_mvau_lane #(.N(SIMD), .AW(ACC_W)) u_lane (
                    .start(start), .x(x), .w(w[p*SIMD +: SIMD]), .total(total));
            end else begin : g_added
                wire [CW-1:0] pc;
                bnf_binary_mvau_xnor_popcount #(.N(SIMD), .W(CW)) u_pc (.x(x), .w(w[p*SIMD +: SIMD]), .count(pc));
                wire [ACC_W+CW:0] twice = {{ACC_W{1'b0}}, pc, 1'b0};
                assign total = start + twice[ACC_W-1:0];
                // verilator lint_off UNUSEDSIGNAL
                wire unused_high = |twice[ACC_W+CW:ACC_W];
                // verilator lint_on UNUSEDSIGNAL
            end
            if (THRESH != 0) begin : g_bit
                assign outs[p] = !total[ACC_W-1];      // dot - t >= 0
            end else begin : g_dot
                assign outs[p*OUT_W +: OUT_W] = total;
            end
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            out_valid <= 1'b0;
        end else begin
            if (out_valid && out0_V_TREADY) out_valid <= 1'b0;
            if (step && last_sf) begin
                out_data <= {{(OUT_TW-PE*EW){1'b0}}, outs};
                out_valid <= 1'b1;
            end
        end
    end

    // the counters name the held step: G = 1 starts with none held, at the last step and
    // pixel (AT_LAST); grouped with step 0's weights read during reset
    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wa <= AT_LAST != 0 ? WA_LAST : {WA{1'b0}};
            oy <= AT_LAST != 0 ? OH_LAST : {YW{1'b0}};
            ox <= AT_LAST != 0 ? OW_LAST : {XW{1'b0}};
        end else if (load) begin
            wa <= wa_next;
            if (last_sf && last_nf) begin
                ox <= (ox == OW_LAST) ? {XW{1'b0}} : ox + 1'b1;
                if (ox == OW_LAST) oy <= (oy == OH_LAST) ? {YW{1'b0}} : oy + 1'b1;
            end
        end
    end

    generate
        if (SPLIT_WA != 0) begin : g_split_wa      // WA = NW + SW
            assign sf = wa[SW-1:0];
            assign nf = wa[WA-1:SW];
        end else begin : g_fold_counters
            reg [SW-1:0] sf_r;
            reg [NW-1:0] nf_r;
            always @(posedge ap_clk) begin
                if (!ap_rst_n) begin
                    sf_r <= AT_LAST != 0 ? SF_LAST : {SW{1'b0}};
                    nf_r <= AT_LAST != 0 ? NF_LAST : {NW{1'b0}};
                end else if (load) begin
                    sf_r <= sf_next;
                    if (last_sf) nf_r <= last_nf ? {NW{1'b0}} : nf_r + 1'b1;
                end
            end
            assign sf = sf_r;
            assign nf = nf_r;
        end
    endgenerate

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

// ---- helper modules, used only here ------------------------------------------------------
// verilator lint_off DECLFILENAME

// One lane's step: start + 2 * (agreements of N (x, w) pairs), modulo 2**AW, with no adder
// of its own. The agreements of each triple of pairs are counted in a kept cell (two LUT6
// for a 2-bit count), and the triples' 2s bits (weight 4) and then their 1s bits (weight 2)
// are counted by bnf_count6 chains whose running sum is the accumulator itself: each chain
// step counts 6 bits, 5 in LUTs that merge with the accumulator bits of the same weight and
// one as the carry-in, and the accumulator bits above ride the carry chain. So the
// popcount's last stage and the accumulator's adder are the same LUTs.
module bnf_binary_mvau_lane #(
    parameter integer N = 8,
    parameter integer AW = 8               // >= 2
) (
    input  wire [AW-1:0] start,
    input  wire [N-1:0]  x,
    input  wire [N-1:0]  w,
    output wire [AW-1:0] total
);
    localparam integer T = (N + 2) / 3;                // triples
    wire [T-1:0] ones, twos;
    bnf_binary_mvau_triples #(.N(N)) u_cells (.x(x), .w(w), .ones(ones), .twos(twos));
    wire [AW-1:0] mid;                                 // start + 4 * count(twos)
    generate
        if (AW > 2) begin : g_twos
            wire [AW-3:0] hi;
            bnf_binary_mvau_count_chain #(.AW(AW-2), .N(T)) u_twos (.acc(start[AW-1:2]), .bits(twos), .sum(hi));
            assign mid = {hi, start[1:0]};
        end else begin : g_no_twos                     // 4 * count is 0 modulo 2**AW
            assign mid = start;
            // verilator lint_off UNUSEDSIGNAL
            wire unused_twos = |twos;
            // verilator lint_on UNUSEDSIGNAL
        end
    endgenerate
    wire [AW-2:0] hi1;
    bnf_binary_mvau_count_chain #(.AW(AW-1), .N(T)) u_ones (.acc(mid[AW-1:1]), .bits(ones), .sum(hi1));
    assign total = {hi1, mid[0]};
endmodule

// acc + count(bits) modulo 2**AW: bnf_count6 steps, each a carry-in bit and up to 5 more.
module bnf_binary_mvau_count_chain #(
    parameter integer AW = 4,
    parameter integer N = 6
) (
    input  wire [AW-1:0] acc,
    input  wire [N-1:0]  bits,
    output wire [AW-1:0] sum
);
    localparam integer NS = (N + 5) / 6;
    genvar k;
    generate
        for (k = 0; k < NS; k = k + 1) begin : g_step
            localparam integer K = N - 6 * k - 1 < 5 ? N - 6 * k - 1 : 5;  // counted in LUTs
            wire [AW-1:0] a, s;
            if (k == 0) begin : g_first
                assign a = acc;
            end else begin : g_next
                assign a = g_step[k-1].s;
            end
            if (K > 0) begin : g_count
                bnf_count6 #(.AW(AW), .K(K), .C(1), .OW(AW)) u_step (
                    .acc(a), .bits(bits[6*k+1 +: K]), .cin(bits[6*k]), .sum(s));
            end else begin : g_carry                   // only the carry-in is left
                wire [AW:0] t = {1'b0, a} + {{AW{1'b0}}, bits[6*k]};
                assign s = t[AW-1:0];
                // verilator lint_off UNUSEDSIGNAL
                wire unused_t = t[AW];
                // verilator lint_on UNUSEDSIGNAL
            end
        end
    endgenerate
    assign sum = g_step[NS-1].s;
endmodule

// The (x, w) agreements of each triple of pairs as a 2-bit count {twos[i], ones[i]}.
module bnf_binary_mvau_triples #(
    parameter integer N = 8
) (
    input  wire [N-1:0]           x,
    input  wire [N-1:0]           w,
    output wire [(N+2)/3-1:0]     ones,
    output wire [(N+2)/3-1:0]     twos
);
    genvar i;
    generate
        for (i = 0; i < (N + 2) / 3; i = i + 1) begin : g_tri
            localparam integer K = N - 3 * i < 3 ? N - 3 * i : 3;
            bnf_binary_mvau_xcount3 #(.K(K)) u_cell (.x(x[3*i +: K]), .w(w[3*i +: K]), .count({twos[i], ones[i]}));
        end
    endgenerate
endmodule

// XNOR-popcount of an input word against a weight word that changes every cycle, for words
// of more than 37 triples (bnf_binary_mvau_lane counts fewer into the accumulator): the
// triples' 1s and 2s bits are counted by bnf_popcount and added.
module bnf_binary_mvau_xnor_popcount #(
    parameter integer N = 8,
    parameter integer W = $clog2(N + 1)
) (
    input  wire [N-1:0] x,
    input  wire [N-1:0] w,
    output wire [W-1:0] count
);
    localparam integer T = (N + 2) / 3;                // triples
    localparam integer TW = $clog2(T + 1);
    wire [T-1:0] ones, twos;
    bnf_binary_mvau_triples #(.N(N)) u_cells (.x(x), .w(w), .ones(ones), .twos(twos));
    wire [TW-1:0] c1, c2;
    bnf_popcount #(.N(T), .W(TW)) u_ones (.bits(ones), .count(c1));
    bnf_popcount #(.N(T), .W(TW)) u_twos (.bits(twos), .count(c2));
    wire [W+TW:0] sum = {{(W+1){1'b0}}, c1} + {{W{1'b0}}, c2, 1'b0};  // <= N
    assign count = sum[W-1:0];
    // verilator lint_off UNUSEDSIGNAL
    wire unused_high = |sum[W+TW:W];
    // verilator lint_on UNUSEDSIGNAL
endmodule

// Agreements of K <= 3 (x, w) bit pairs as a 2-bit count: one 6-input function per bit.
(* keep_hierarchy *)
module bnf_binary_mvau_xcount3 #(
    parameter integer K = 3
) (
    input  wire [K-1:0] x,
    input  wire [K-1:0] w,
    output wire [1:0]   count
);
    wire [2:0] agree = {{(3-K){1'b0}}, x ~^ w};
    assign count = {1'b0, agree[0]} + {1'b0, agree[1]} + {1'b0, agree[2]};
endmodule

// A read-only parameter memory of bnf_binary_mvau ($readmemh), read asynchronously or
// (SYNC) registered with an enable. Kept as its own module in synthesis, so every data bit
// is mapped as a function of the address port alone.
(* keep_hierarchy *)
module bnf_binary_mvau_rom #(
    parameter integer W = 8,
    parameter integer D = 2,
    parameter integer AW = 1,             // exact address width: D > 1 ? $clog2(D) : 1
    parameter integer SYNC = 0,
    parameter integer BLOCK = 0,          // 1 (with SYNC): block RAM, whatever its size
    parameter integer SLICE = 0,          // > 0 (with BLOCK): a memory per SLICE bits of the word
    parameter [W-1:0] CLR_WORD = {W{1'b0}}, // (SYNC) what a read with clr loads instead
    // XON (with SLICE): an XW-bit, XD-word RAM in the spare rows of the slices that hold its
    // bits (second port, read through a register, written on xwe, write-first); D + XD fit
    // the aspect
    parameter integer XON = 0,
    parameter integer XW = 1,
    parameter integer XD = 1,
    parameter integer XAW = 1,
    parameter FILE = ""
) (
    input  wire           clk,
    input  wire           en,
    input  wire           clr,                // (SYNC) synchronous reset of the read register
    input  wire [AW-1:0]  a,
    output wire [W-1:0]   q,
    input  wire           xen,
    input  wire           xwe,
    input  wire [XAW-1:0] xa,
    input  wire [XW-1:0]  xd,
    output wire [XW-1:0]  xq
);
    generate
        if (!(SYNC != 0 && BLOCK != 0 && SLICE != 0 && XON != 0)) begin : g_no_xport
            // the vector's RAM exists only in the spare rows of sliced block RAM
            assign xq = {XW{1'b0}};
            // verilator lint_off UNUSEDSIGNAL
            wire unused_x = xen | xwe | |xa | |xd;
            // verilator lint_on UNUSEDSIGNAL
        end
        if (SYNC != 0 && BLOCK != 0 && SLICE != 0) begin : g_sliced
            // one memory per SLICE-bit slice of the word, each from its own file
            // FILE_sNNN.mem, so that synthesis sees memories of D x SLICE bits and maps each
            // to one block RAM in the aspect SLICE x (D or more): every word is read from all
            // of them at once, with no multiplexer behind them
            localparam integer NS = (W + SLICE - 1) / SLICE;
            localparam integer XS = XON != 0 ? (XW + SLICE - 1) / SLICE : 0;  // slices with vector bits
            localparam integer RW = $clog2(D + XD);    // row address (>= XAW)
            localparam [31:0] D_32 = D;
            localparam [RW-1:0] XBASE = D_32[RW-1:0];  // the vector's first row
            wire [RW+XAW-1:0] xa_ext = {{RW{1'b0}}, xa};
            wire [RW-1:0] xrow = XBASE + xa_ext[RW-1:0];
            // xd repeated over the slices' width: the bits beyond the vector's are never read,
            // and a constant there stops Yosys mapping the write-first port to block RAM
            localparam integer XREP = (NS * SLICE + XW - 1) / XW;
            wire [XREP*XW-1:0] xd_rep = {XREP{xd}};
            // verilator lint_off UNUSEDSIGNAL
            wire [NS*SLICE-1:0] xd_all = xd_rep[NS*SLICE-1:0];  // slices beyond the vector's
            // verilator lint_on UNUSEDSIGNAL
            genvar s;
            for (s = 0; s < NS; s = s + 1) begin : g_slice
                localparam integer SW = W - s * SLICE < SLICE ? W - s * SLICE : SLICE;
                localparam [7:0] D2 = 8'd48 + s / 100, D1 = 8'd48 + (s / 10) % 10, D0 = 8'd48 + s % 10;
                reg [SW-1:0] q_r;
                assign q[s*SLICE +: SW] = q_r;
                if (s < XS) begin : g_shared
                    localparam integer XB = XW - s * SLICE < SW ? XW - s * SLICE : SW;  // vector bits here
                    // no_rw_check: the ports never meet (weight rows, vector rows), and only
                    // then does Yosys map the second port write-first
                    (* ram_style = "block", no_rw_check *) reg [SW-1:0] rom [0:D+XD-1];
                    initial $readmemh({FILE, "_s", D2, D1, D0, ".mem"}, rom, 0, D - 1);
                    reg [SW-1:0] xq_r;
                    always @(posedge clk) if (en) q_r <= clr ? CLR_WORD[s*SLICE +: SW] : rom[a];
                    // write-first: a write also loads its word into the read register (the
                    // block RAM's WRITE_FIRST mode; Yosys infers it from this form)
                    always @(posedge clk) begin
                        if (xen && xwe) rom[xrow] <= xd_all[s*SLICE +: SW];
                        if (xen) xq_r <= (xen && xwe) ? xd_all[s*SLICE +: SW] : rom[xrow];
                    end
                    assign xq[s*SLICE +: XB] = xq_r[XB-1:0];
                    // verilator lint_off UNUSEDSIGNAL
                    wire unused_high = |xq_r;
                    // verilator lint_on UNUSEDSIGNAL
                end else begin : g_rom
                    (* rom_style = "block" *) reg [SW-1:0] rom [0:D-1];
                    initial $readmemh({FILE, "_s", D2, D1, D0, ".mem"}, rom);
                    always @(posedge clk) if (en) q_r <= clr ? CLR_WORD[s*SLICE +: SW] : rom[a];
                end
            end
            // verilator lint_off UNUSEDSIGNAL
            wire unused_x = |xa_ext | |xd_rep;          // the bits beyond the slices'
            // verilator lint_on UNUSEDSIGNAL
        end else if (SYNC != 0 && BLOCK != 0) begin : g_block
            (* rom_style = "block" *) reg [W-1:0] rom [0:D-1];
            initial $readmemh(FILE, rom);
            reg [W-1:0] q_r;
            always @(posedge clk) if (en) q_r <= clr ? CLR_WORD : rom[a];
            assign q = q_r;
        end else if (SYNC != 0) begin : g_sync
            reg [W-1:0] rom [0:D-1];
            initial $readmemh(FILE, rom);
            reg [W-1:0] q_r;
            always @(posedge clk) if (en) q_r <= clr ? CLR_WORD : rom[a];
            assign q = q_r;
        end else begin : g_async
            reg [W-1:0] rom [0:D-1];
            initial $readmemh(FILE, rom);
            assign q = rom[a];
            // verilator lint_off UNUSEDSIGNAL
            wire unused = clk | en | clr | |CLR_WORD;
            // verilator lint_on UNUSEDSIGNAL
        end
    endgenerate
endmodule

// verilator lint_on DECLFILENAME

`default_nettype wire
