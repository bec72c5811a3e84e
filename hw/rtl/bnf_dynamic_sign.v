// bnnforge: BCDNet-B's input-dependent binarization, bit = (x << SX) - (v << SV) >= t per
// channel: x [P pixels, C] codes on in0_V, the frame's thresholds v [C] on in1_V (C/PE words
// per frame), static t [C] from THRESH_FILE, all on the common grid 2**-max(x_frac, v_frac).
//
// v depends on the global average pool of this very frame, computed by other ops from a copy
// of the same x stream, so the unit must take in the whole frame without waiting for v (or
// the graph deadlocks). x goes into a ring of RING words: one frame (P * C/PE words, two when
// a frame is one word) and room for the next frame's words that come in while v is on its way
// (passes.fifos sizes it: far less than a second frame). A word's slot is refilled as soon as
// it was read, so frame n+1 streams in while frame n streams out. Frame n streams out once
// all of it is in and its v (double-buffered, v slot n % 2) has arrived. With v on time, the first output word
// leaves P*C/PE + 1 cycles after the first input word (the frame, whose first word is read in
// the cycle its last comes in, and the output register; + 2 for a one-word frame) and frames
// stream at one word per cycle.
`default_nettype none

module bnf_dynamic_sign #(
    parameter integer C = 8,
    parameter integer PE = 4,
    parameter integer P = 16,             // pixels per frame
    parameter integer X_W = 16,           // signed x codes
    parameter integer V_W = 16,           // signed v codes
    parameter integer SX = 0,             // max(x_frac, v_frac) - x_frac
    parameter integer SV = 0,             // max(x_frac, v_frac) - v_frac
    parameter integer RING = (P * (C / PE) > 1) ? P * (C / PE) : 2,  // x ring words: >= a frame, >= 2
    parameter THRESH_FILE = "",           // C/PE words of PE thresholds, T_W bits each
    parameter [8*11-1:0] RAM_STYLE = "auto",
    parameter integer X_TW = ((PE * X_W + 7) / 8) * 8,
    parameter integer V_TW = ((PE * V_W + 7) / 8) * 8,
    parameter integer OUT_TW = ((PE + 7) / 8) * 8
) (
    input  wire              ap_clk,
    input  wire              ap_rst_n,
    input  wire [X_TW-1:0]   in0_V_TDATA,
    input  wire              in0_V_TVALID,
    output wire              in0_V_TREADY,
    input  wire [V_TW-1:0]   in1_V_TDATA,
    input  wire              in1_V_TVALID,
    output wire              in1_V_TREADY,
    output wire [OUT_TW-1:0] out0_V_TDATA,
    output wire              out0_V_TVALID,
    input  wire              out0_V_TREADY
);
    localparam integer CF = C / PE;                 // words per pixel
    localparam integer F = P * CF;                  // words per frame
    localparam integer D = RING;                    // x ring depth
    localparam integer XS_W = X_W + SX, VS_W = V_W + SV;
    localparam integer DW = (XS_W > VS_W ? XS_W : VS_W) + 1;  // x' - v' never overflows
    localparam integer T_W = DW + 1;                // t clipped to [-2**(DW-1), 2**(DW-1)]
    localparam integer AW = $clog2(D);              // D >= 2
    localparam integer FW = F > 1 ? $clog2(F) : 1;  // position in a frame
    localparam integer KW = $clog2(D / F + 2);      // counts the whole frames the ring holds
    localparam integer NW = $clog2(D + 1);
    localparam integer CW = CF > 1 ? $clog2(CF) : 1;
    localparam integer VA = $clog2(2 * CF);         // v buffer address: CW + 1 bits, or 1
    localparam [31:0] F_M1 = F - 1, D_M1 = D - 1, D_32 = D, CF_M1 = CF - 1, CF_32 = CF, VD_M1 = 2 * CF - 1;
    localparam [AW-1:0] LAST = D_M1[AW-1:0];
    localparam [FW-1:0] F_LAST = F_M1[FW-1:0];
    localparam [NW-1:0] FULL = D_32[NW-1:0];
    localparam [CW-1:0] CF_LAST = CF_M1[CW-1:0];
    localparam [VA-1:0] V_HALF = CF_32[VA-1:0], V_HALF_LAST = CF_M1[VA-1:0], V_LAST = VD_M1[VA-1:0];

    reg [PE*T_W-1:0] thresholds [0:CF-1];
    initial $readmemh(THRESH_FILE, thresholds);

    // ---- x frame buffer (a ring of one frame) and v buffer (two frames) -----------------
    reg [PE*V_W-1:0] vbuf [0:2*CF-1];
    reg [AW-1:0] wa, ra;                  // x write / read address
    reg [FW-1:0] wf, rf;                  // x write / read position in its frame
    reg [NW-1:0] count;                   // x words written and not yet read
    reg [KW-1:0] complete;                // whole frames in the ring not yet fully read
    reg [VA-1:0] vwa;                     // v write address; slot = vwa >= CF
    reg vw_slot;
    reg [1:0] vfull;                      // v slot holds its frame's whole vector
    reg r_slot;                           // slot (frame parity) being read
    reg [CW-1:0] rcf;                     // channel fold being read

    assign in0_V_TREADY = (count != FULL);
    assign in1_V_TREADY = !vfull[vw_slot];
    wire take_x = in0_V_TVALID && in0_V_TREADY;
    wire take_v = in1_V_TVALID && in1_V_TREADY;
    wire x_frame_end = (wf == F_LAST);
    wire v_frame_end = (vwa == V_HALF_LAST) || (vwa == V_LAST);
    wire r_frame_end = (rf == F_LAST);

    // ---- read pipeline: memory read (x, v, t registered), then compare into the output --
    reg r_valid;
    wire [PE*X_W-1:0] xq;
    reg [PE*V_W-1:0] vq;
    reg [PE*T_W-1:0] tq;
    reg [PE-1:0] bits;
    reg out_valid;
    wire advance = !out_valid || out0_V_TREADY;
    // a frame may start streaming out in the cycle its last word comes in (its first word
    // is in another slot when F > 1): one frame of ring then keeps both sides at full rate
    wire frame_ready = (complete != {KW{1'b0}}) || (F > 1 && take_x && x_frame_end);
    wire issue = frame_ready && vfull[r_slot] && (!r_valid || advance);
    wire [VA-1:0] rcf_v;
    generate
        if (CF > 1) begin : g_rcf
            assign rcf_v = {1'b0, rcf};
        end else begin : g_rcf0
            assign rcf_v = rcf;           // always 0
        end
    endgenerate
    wire [VA-1:0] rva = r_slot ? V_HALF + rcf_v : rcf_v;

    bnf_ram #(.W(PE*X_W), .DEPTH(D), .AW(AW), .RAM_STYLE(RAM_STYLE)) u_frame (
        .clk(ap_clk), .we(take_x), .wa(wa), .d(in0_V_TDATA[PE*X_W-1:0]), .re(issue), .ra(ra), .srst(1'b0), .q(xq));
    always @(posedge ap_clk) begin
        if (take_v) vbuf[vwa] <= in1_V_TDATA[PE*V_W-1:0];
        if (issue) begin
            vq <= vbuf[rva];
            tq <= thresholds[rcf];
        end
    end

    wire [PE-1:0] cmp;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [X_W-1:0] x = xq[p*X_W +: X_W];
            wire [V_W-1:0] v = vq[p*V_W +: V_W];
            wire signed [DW-1:0] xe = {{(DW-X_W){x[X_W-1]}}, x};  // DW > X_W, DW > V_W
            wire signed [DW-1:0] ve = {{(DW-V_W){v[V_W-1]}}, v};
            wire signed [DW-1:0] diff = (xe <<< SX) - (ve <<< SV);
            wire signed [T_W-1:0] d = {diff[DW-1], diff};
            wire signed [T_W-1:0] t = tq[p*T_W +: T_W];
            assign cmp[p] = d >= t;
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wa <= {AW{1'b0}};
            ra <= {AW{1'b0}};
            wf <= {FW{1'b0}};
            rf <= {FW{1'b0}};
            count <= {NW{1'b0}};
            complete <= {KW{1'b0}};
            vwa <= {VA{1'b0}};
            vw_slot <= 1'b0;
            vfull <= 2'b00;
            r_slot <= 1'b0;
            rcf <= {CW{1'b0}};
            r_valid <= 1'b0;
            out_valid <= 1'b0;
        end else begin
            if (take_x) begin
                wa <= (wa == LAST) ? {AW{1'b0}} : wa + 1'b1;
                wf <= x_frame_end ? {FW{1'b0}} : wf + 1'b1;
            end
            if (take_x && !issue) count <= count + 1'b1;
            else if (issue && !take_x) count <= count - 1'b1;
            if ((take_x && x_frame_end) && !(issue && r_frame_end)) complete <= complete + 1'b1;
            else if ((issue && r_frame_end) && !(take_x && x_frame_end)) complete <= complete - 1'b1;
            if (take_v) begin
                vwa <= (vwa == V_LAST) ? {VA{1'b0}} : vwa + 1'b1;
                if (v_frame_end) begin
                    vfull[vw_slot] <= 1'b1;
                    vw_slot <= !vw_slot;
                end
            end
            if (issue) begin
                ra <= (ra == LAST) ? {AW{1'b0}} : ra + 1'b1;
                rf <= r_frame_end ? {FW{1'b0}} : rf + 1'b1;
                rcf <= (rcf == CF_LAST) ? {CW{1'b0}} : rcf + 1'b1;
                if (r_frame_end) begin
                    vfull[r_slot] <= 1'b0;  // never the slot v is being completed into
                    r_slot <= !r_slot;
                end
                r_valid <= 1'b1;
            end else if (advance) begin
                r_valid <= 1'b0;
            end
            if (advance) begin
                out_valid <= r_valid;
                if (r_valid) bits <= cmp;
            end
        end
    end

    generate
        if (OUT_TW > PE) begin : g_pad
            assign out0_V_TDATA = {{(OUT_TW-PE){1'b0}}, bits};
        end else begin : g_nopad
            assign out0_V_TDATA = bits;
        end
    endgenerate
    assign out0_V_TVALID = out_valid;

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |{in0_V_TDATA, in1_V_TDATA};
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
