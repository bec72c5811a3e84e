// bnnforge: the learnable activations of the fixed-point stream (generator/hwops/activations.py)
//   RP = 1, ReActNet's RPReLU: t = x - b1; y = sat((t >= 0 ? t : round(t * a / 2**SF)) + b2)
//   RP = 0, FTBNN's FPReLU:    y = sat(round(x * (x >= 0 ? a_pos : a_neg) / 2**SF))
// per channel, slopes signed A_W-bit codes with SF fractional bits; rounding and saturation
// by bnf_round_shift. PE channels per word, C/PE channel folds per pixel.
// Two stages: the slope product (one multiplier per lane: a DSP, which a binary network
// leaves idle; Yosys gave 230-260 LUTs for the same product as shift-and-add), then
// rounding, select, bias and saturation. A stage moves when the next one moves or is empty,
// so the unit runs at full rate under backpressure.
`default_nettype none

module bnf_prelu #(
    parameter integer C = 16,
    parameter integer PE = 4,
    parameter integer RP = 1,             // 1: RPReLU, 0: FPReLU
    parameter integer IN_W = 16,          // signed input codes
    parameter integer B_W = 16,           // signed biases b1, b2 (RPReLU)
    parameter integer A_W = 8,            // signed slopes
    parameter integer SF = 6,             // fractional bits of the slopes
    parameter integer OUT_W = 16,
    parameter PARAM_FILE = "",            // C/PE words of PE lanes: {b2, a, b1} or {a_neg, a_pos}
    parameter integer IN_TW = ((PE * IN_W + 7) / 8) * 8,
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
    localparam integer CF = C / PE;
    localparam integer FW = CF > 1 ? $clog2(CF) : 1;
    localparam [31:0] CF_M1 = CF - 1;
    localparam [FW-1:0] CF_LAST = CF_M1[FW-1:0];
    localparam integer LANE_W = RP != 0 ? 2 * B_W + A_W : 2 * A_W;
    // the multiplier's other operand: t = x - b1 (exact) or x
    localparam integer TW = RP != 0 ? (IN_W > B_W ? IN_W : B_W) + 1 : IN_W;
    localparam integer PW = TW + A_W;                   // exact product
    localparam integer SHW = SF > 0 ? $clog2(SF + 1) : 1;
    localparam [31:0] SF_32 = SF;
    localparam [SHW-1:0] SHIFT = SF_32[SHW-1:0];

    reg [PE*LANE_W-1:0] params [0:CF-1];
    initial $readmemh(PARAM_FILE, params);

    reg [FW-1:0] cf;
    reg v1, v2;                                         // stage valids; v2 = output valid
    wire en2 = !v2 || out0_V_TREADY;
    wire en1 = !v1 || en2;
    wire take = in0_V_TVALID && en1;
    assign in0_V_TREADY = en1;

    wire [PE*LANE_W-1:0] pw = params[cf];
    reg [PE*OUT_W-1:0] y2;
    assign out0_V_TDATA = {{(OUT_TW-PE*OUT_W){1'b0}}, y2};
    assign out0_V_TVALID = v2;

    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [LANE_W-1:0] lane = pw[p*LANE_W +: LANE_W];
            wire signed [IN_W-1:0] x = in0_V_TDATA[p*IN_W +: IN_W];
            wire signed [TW-1:0] opnd;                  // multiplier operand
            wire signed [A_W-1:0] a;                    // slope
            wire signed [OUT_W-1:0] y;
            reg [PW-1:0] prod1;                         // stage 1

            wire signed [PW-1:0] prod = opnd * a;      // a DSP: idle in a binary network
            always @(posedge ap_clk) if (take) prod1 <= prod;

            if (RP != 0) begin : g_rp
                localparam integer NW = PW + 1;         // wide: round(t * a / 2**SF) is not clamped
                localparam integer VW = (TW > NW ? TW : NW) + 1;
                localparam integer SW = VW + 1;         // VW > B_W
                wire signed [B_W-1:0] b1 = lane[B_W-1:0];
                wire signed [TW-1:0] t = {{(TW-IN_W){x[IN_W-1]}}, x} - {{(TW-B_W){b1[B_W-1]}}, b1};
                assign a = lane[B_W +: A_W];
                assign opnd = t;
                reg [TW-1:0] t1;
                reg [B_W-1:0] b2_1;
                always @(posedge ap_clk) if (take) begin
                    t1 <= t;
                    b2_1 <= lane[B_W+A_W +: B_W];
                end
                wire signed [NW-1:0] neg;
                bnf_round_shift #(.IN_W(PW), .OUT_W(NW), .SW(SHW)) u_slope (.x(prod1), .shift(SHIFT), .y(neg));
                wire [VW-1:0] sel = t1[TW-1] ? {{(VW-NW){neg[NW-1]}}, neg} : {{(VW-TW){1'b0}}, t1};
                wire [SW-1:0] sum = {sel[VW-1], sel} + {{(SW-B_W){b2_1[B_W-1]}}, b2_1};
                bnf_round_shift #(.IN_W(SW), .OUT_W(OUT_W), .SW(1)) u_sat (.x(sum), .shift(1'b0), .y(y));
            end else begin : g_fp
                wire [A_W-1:0] a_pos = lane[A_W-1:0];
                wire [A_W-1:0] a_neg = lane[A_W +: A_W];
                assign a = x[IN_W-1] ? a_neg : a_pos;
                assign opnd = x;
                bnf_round_shift #(.IN_W(PW), .OUT_W(OUT_W), .SW(SHW)) u_round (.x(prod1), .shift(SHIFT), .y(y));
            end

            always @(posedge ap_clk) if (en2) y2[p*OUT_W +: OUT_W] <= y;
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            cf <= {FW{1'b0}};
            v1 <= 1'b0;
            v2 <= 1'b0;
        end else begin
            if (en1) v1 <= take;
            if (en2) v2 <= v1;
            if (take) cf <= (cf == CF_LAST) ? {FW{1'b0}} : cf + 1'b1;
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
