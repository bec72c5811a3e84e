// bnnforge: folded batch norm on the fixed-point stream (generator/hwops/affine.py, FixedAffine):
//   y = sat(round((sum_i d_i * m_i << L + B') / 2**R))   per channel, i < BR branches,
// which is round(sum_i d_i * m_i * 2**-E + B) on the output grid: the emitter turns each
// channel's exponent E into the shifts L (products onto the grid of the sum) and R (sum onto
// the output grid) and puts the bias B' on the grid of the sum, so the hardware only shifts
// by amounts read from the parameter memory and rounds once (bnf_round_shift).
// PE channels per word, C/PE channel folds per pixel. With BR = 3 (the binary MLP block) the
// three branch streams arrive on in0_V, in1_V, in2_V and one word of each is taken together.
// Pipeline: products (one multiplier per branch and lane) | aligned sum | rounded output.
// Every stage moves when the stage after it moves or is empty: full rate under backpressure.
`default_nettype none

// verilator lint_off DECLFILENAME
// (this file holds the shared core and both tops, bnf_fixed_affine and bnf_fixed_affine3)
module bnf_fixed_affine_core #(
    parameter integer C = 16,
    parameter integer PE = 4,
    parameter integer BR = 1,             // branches (input streams)
    parameter integer IN_W = 16,          // signed input codes
    parameter integer G_W = 12,           // signed gain mantissas
    parameter integer ACC_W = 29,         // the exact aligned sum; > IN_W + G_W + clog2(BR)
    parameter integer LSH_W = 1,          // left-shift field
    parameter integer RSH_W = 5,          // rounding-shift field
    parameter integer OUT_W = 16,
    parameter PARAM_FILE = "",            // C/PE words of PE lanes {B', R, L, m_BR-1 .. m_0}
    parameter integer IN_TW = ((PE * IN_W + 7) / 8) * 8,
    parameter integer OUT_TW = ((PE * OUT_W + 7) / 8) * 8
) (
    input  wire                ap_clk,
    input  wire                ap_rst_n,
    input  wire [BR*IN_TW-1:0] in_tdata,   // stream i at [i*IN_TW +: IN_TW]
    input  wire [BR-1:0]       in_tvalid,
    output wire [BR-1:0]       in_tready,
    output wire [OUT_TW-1:0]   out0_V_TDATA,
    output wire                out0_V_TVALID,
    input  wire                out0_V_TREADY
);
    localparam integer CF = C / PE;
    localparam integer FW = CF > 1 ? $clog2(CF) : 1;
    localparam [31:0] CF_M1 = CF - 1;
    localparam [FW-1:0] CF_LAST = CF_M1[FW-1:0];
    localparam integer PW = IN_W + G_W;                 // one product
    localparam integer LANE_W = BR * G_W + LSH_W + RSH_W + ACC_W;
    localparam integer L_AT = BR * G_W;                 // field offsets in a lane
    localparam integer R_AT = L_AT + LSH_W;
    localparam integer B_AT = R_AT + RSH_W;

    reg [PE*LANE_W-1:0] params [0:CF-1];
    initial $readmemh(PARAM_FILE, params);

    reg [FW-1:0] cf;
    reg v1, v2, v3;                                     // stage valids; v3 = output valid
    wire en3 = !v3 || out0_V_TREADY;
    wire en2 = !v2 || en3;
    wire en1 = !v1 || en2;
    wire all_valid = &in_tvalid;
    wire take = all_valid && en1;
    assign in_tready = {BR{take}};                      // one word from every stream at once

    wire [PE*LANE_W-1:0] pw = params[cf];
    reg [PE*OUT_W-1:0] y3;
    assign out0_V_TDATA = {{(OUT_TW-PE*OUT_W){1'b0}}, y3};
    assign out0_V_TVALID = v3;

    genvar p, i;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [LANE_W-1:0] lane = pw[p*LANE_W +: LANE_W];
            reg [LSH_W-1:0] lsh1;                       // stage 1 (with g_br[i].prod1)
            reg [RSH_W-1:0] rsh1, rsh2;
            reg [ACC_W-1:0] bias1, acc2;                // stage 2: acc2
            wire [BR*ACC_W-1:0] partial;                // running sum over the branches
            for (i = 0; i < BR; i = i + 1) begin : g_br
                wire signed [IN_W-1:0] d = in_tdata[i*IN_TW + p*IN_W +: IN_W];
                wire signed [G_W-1:0] m = lane[i*G_W +: G_W];
                wire signed [PW-1:0] prod = d * m;
                reg [PW-1:0] prod1;
                always @(posedge ap_clk) if (take) prod1 <= prod;
                wire [ACC_W-1:0] ext = {{(ACC_W-PW){prod1[PW-1]}}, prod1};
                if (i == 0) begin : g_first
                    assign partial[ACC_W-1:0] = ext;
                end else begin : g_next
                    assign partial[i*ACC_W +: ACC_W] = partial[(i-1)*ACC_W +: ACC_W] + ext;
                end
            end
            // the emitter guarantees the shifted sum plus bias fits ACC_W bits (exact)
            wire [ACC_W-1:0] shifted = partial[(BR-1)*ACC_W +: ACC_W] << lsh1;
            wire signed [OUT_W-1:0] y;
            bnf_round_shift #(.IN_W(ACC_W), .OUT_W(OUT_W), .SW(RSH_W)) u_round (
                .x(acc2), .shift(rsh2), .y(y));
            always @(posedge ap_clk) begin
                if (take) begin
                    lsh1 <= lane[L_AT +: LSH_W];
                    rsh1 <= lane[R_AT +: RSH_W];
                    bias1 <= lane[B_AT +: ACC_W];
                end
                if (en2) begin
                    acc2 <= shifted + bias1;
                    rsh2 <= rsh1;
                end
                if (en3) y3[p*OUT_W +: OUT_W] <= y;
            end
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            cf <= {FW{1'b0}};
            v1 <= 1'b0;
            v2 <= 1'b0;
            v3 <= 1'b0;
        end else begin
            if (en1) v1 <= take;
            if (en2) v2 <= v1;
            if (en3) v3 <= v2;
            if (take) cf <= (cf == CF_LAST) ? {FW{1'b0}} : cf + 1'b1;
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in_tdata;
    // verilator lint_on UNUSEDSIGNAL
endmodule
// verilator lint_on DECLFILENAME

// one branch: the batch norm after a single convolution
module bnf_fixed_affine #(
    parameter integer C = 16,
    parameter integer PE = 4,
    parameter integer IN_W = 16,
    parameter integer G_W = 12,
    parameter integer ACC_W = 29,
    parameter integer LSH_W = 1,
    parameter integer RSH_W = 5,
    parameter integer OUT_W = 16,
    parameter PARAM_FILE = "",
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
    bnf_fixed_affine_core #(.C(C), .PE(PE), .BR(1), .IN_W(IN_W), .G_W(G_W), .ACC_W(ACC_W), .LSH_W(LSH_W),
        .RSH_W(RSH_W), .OUT_W(OUT_W), .PARAM_FILE(PARAM_FILE), .IN_TW(IN_TW), .OUT_TW(OUT_TW)) u_core (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .in_tdata(in0_V_TDATA), .in_tvalid(in0_V_TVALID), .in_tready(in0_V_TREADY),
        .out0_V_TDATA(out0_V_TDATA), .out0_V_TVALID(out0_V_TVALID), .out0_V_TREADY(out0_V_TREADY));
endmodule

// three branches: the binary MLP block's plain, short- and long-shifted convolutions
// verilator lint_off DECLFILENAME
module bnf_fixed_affine3 #(
    parameter integer C = 16,
    parameter integer PE = 4,
    parameter integer IN_W = 16,
    parameter integer G_W = 12,
    parameter integer ACC_W = 31,
    parameter integer LSH_W = 1,
    parameter integer RSH_W = 5,
    parameter integer OUT_W = 16,
    parameter PARAM_FILE = "",
    parameter integer IN_TW = ((PE * IN_W + 7) / 8) * 8,
    parameter integer OUT_TW = ((PE * OUT_W + 7) / 8) * 8
) (
    input  wire              ap_clk,
    input  wire              ap_rst_n,
    input  wire [IN_TW-1:0]  in0_V_TDATA,
    input  wire              in0_V_TVALID,
    output wire              in0_V_TREADY,
    input  wire [IN_TW-1:0]  in1_V_TDATA,
    input  wire              in1_V_TVALID,
    output wire              in1_V_TREADY,
    input  wire [IN_TW-1:0]  in2_V_TDATA,
    input  wire              in2_V_TVALID,
    output wire              in2_V_TREADY,
    output wire [OUT_TW-1:0] out0_V_TDATA,
    output wire              out0_V_TVALID,
    input  wire              out0_V_TREADY
);
    bnf_fixed_affine_core #(.C(C), .PE(PE), .BR(3), .IN_W(IN_W), .G_W(G_W), .ACC_W(ACC_W), .LSH_W(LSH_W),
        .RSH_W(RSH_W), .OUT_W(OUT_W), .PARAM_FILE(PARAM_FILE), .IN_TW(IN_TW), .OUT_TW(OUT_TW)) u_core (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .in_tdata({in2_V_TDATA, in1_V_TDATA, in0_V_TDATA}), .in_tvalid({in2_V_TVALID, in1_V_TVALID, in0_V_TVALID}),
        .in_tready({in2_V_TREADY, in1_V_TREADY, in0_V_TREADY}),
        .out0_V_TDATA(out0_V_TDATA), .out0_V_TVALID(out0_V_TVALID), .out0_V_TREADY(out0_V_TREADY));
endmodule
// verilator lint_on DECLFILENAME

`default_nettype wire
