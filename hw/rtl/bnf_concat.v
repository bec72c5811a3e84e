// bnnforge: channel concatenation of NI (1..4) streams of equal spatial size (ReActNet's
// doubled channels). Input i carries Ci channels, PE per word (PE divides every Ci). Per
// pixel the output is C0/PE words from in0_V, then C1/PE words from in1_V, and so on: the unit
// takes words from one input at a time (the others see TREADY low) into a one-word register
// slice, one word per cycle at full rate. Inputs NI..3 are never read; leave them
// unconnected (Vivado HLS names the NI-input HLS top's ports in0_V.. the same way).
`default_nettype none

module bnf_concat #(
    parameter integer NI = 2,             // inputs in use, 1..4
    parameter integer C0 = 8,             // channels of each input (0 for unused inputs)
    parameter integer C1 = 8,
    parameter integer C2 = 0,
    parameter integer C3 = 0,
    parameter integer PE = 4,
    parameter integer EB = 16,            // bits per element
    parameter integer TW = ((PE * EB + 7) / 8) * 8
) (
    input  wire          ap_clk,
    input  wire          ap_rst_n,
    input  wire [TW-1:0] in0_V_TDATA,
    input  wire          in0_V_TVALID,
    output wire          in0_V_TREADY,
    input  wire [TW-1:0] in1_V_TDATA,
    input  wire          in1_V_TVALID,
    output wire          in1_V_TREADY,
    input  wire [TW-1:0] in2_V_TDATA,
    input  wire          in2_V_TVALID,
    output wire          in2_V_TREADY,
    input  wire [TW-1:0] in3_V_TDATA,
    input  wire          in3_V_TVALID,
    output wire          in3_V_TREADY,
    output wire [TW-1:0] out0_V_TDATA,
    output wire          out0_V_TVALID,
    input  wire          out0_V_TREADY
);
    // words per pixel of each input, and the width of the word counter within one input
    localparam integer F0 = C0 / PE, F1 = C1 / PE, F2 = C2 / PE, F3 = C3 / PE;
    localparam integer FMAX01 = F0 > F1 ? F0 : F1, FMAX23 = F2 > F3 ? F2 : F3;
    localparam integer FMAX = FMAX01 > FMAX23 ? FMAX01 : FMAX23;
    localparam integer JW = FMAX > 1 ? $clog2(FMAX) : 1;
    localparam [31:0] F0_M1 = F0 - 1, F1_M1 = F1 - 1, F2_M1 = F2 - 1, F3_M1 = F3 - 1, NI_M1 = NI - 1;
    localparam [JW-1:0] L0 = F0_M1[JW-1:0], L1 = F1_M1[JW-1:0], L2 = F2_M1[JW-1:0], L3 = F3_M1[JW-1:0];
    localparam [1:0] K_LAST = NI_M1[1:0];

    reg [1:0] k;                          // input being read
    reg [JW-1:0] j;                       // its word within this pixel
    reg [TW-1:0] out_data;
    reg out_valid;

    wire out_free = !out_valid || out0_V_TREADY;
    wire [3:0] valid_in = {in3_V_TVALID, in2_V_TVALID, in1_V_TVALID, in0_V_TVALID};
    wire [TW-1:0] data_in = k == 2'd0 ? in0_V_TDATA : k == 2'd1 ? in1_V_TDATA : k == 2'd2 ? in2_V_TDATA : in3_V_TDATA;
    wire [JW-1:0] last_j = k == 2'd0 ? L0 : k == 2'd1 ? L1 : k == 2'd2 ? L2 : L3;
    wire take = out_free && valid_in[k];

    assign in0_V_TREADY = out_free && (k == 2'd0);
    assign in1_V_TREADY = out_free && (k == 2'd1);
    assign in2_V_TREADY = out_free && (k == 2'd2);
    assign in3_V_TREADY = out_free && (k == 2'd3);
    assign out0_V_TDATA = out_data;
    assign out0_V_TVALID = out_valid;

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            k <= 2'd0;
            j <= {JW{1'b0}};
            out_valid <= 1'b0;
        end else begin
            if (out0_V_TREADY) out_valid <= 1'b0;
            if (take) begin
                out_data <= data_in;
                out_valid <= 1'b1;
                if (j == last_j) begin
                    j <= {JW{1'b0}};
                    k <= (k == K_LAST) ? 2'd0 : k + 2'd1;
                end else begin
                    j <= j + 1'b1;
                end
            end
        end
    end
endmodule

`default_nettype wire
