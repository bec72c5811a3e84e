// bnnforge: channel concatenation at one pixel per cycle (Concat folded to PE = all its
// channels). Input i carries its Ci channels in one word; the unit joins one word of every
// input (in0_V's channels first) into the output register when all NI inputs are valid.
// Inputs NI..3 are never read; tie their TVALID and TDATA to 0.
`default_nettype none

module bnf_concat_par #(
    parameter integer NI = 2,             // inputs in use, 2..4
    parameter integer C0 = 8,
    parameter integer C1 = 8,
    parameter integer C2 = 0,
    parameter integer C3 = 0,
    parameter integer EB = 16,            // bits per element
    parameter integer TW0 = ((C0 * EB + 7) / 8) * 8,
    parameter integer TW1 = ((C1 * EB + 7) / 8) * 8,
    parameter integer TW2 = C2 > 0 ? ((C2 * EB + 7) / 8) * 8 : 8,
    parameter integer TW3 = C3 > 0 ? ((C3 * EB + 7) / 8) * 8 : 8,
    parameter integer OUT_TW = (((C0 + C1 + C2 + C3) * EB + 7) / 8) * 8
) (
    input  wire              ap_clk,
    input  wire              ap_rst_n,
    input  wire [TW0-1:0]    in0_V_TDATA,
    input  wire              in0_V_TVALID,
    output wire              in0_V_TREADY,
    input  wire [TW1-1:0]    in1_V_TDATA,
    input  wire              in1_V_TVALID,
    output wire              in1_V_TREADY,
    input  wire [TW2-1:0]    in2_V_TDATA,
    input  wire              in2_V_TVALID,
    output wire              in2_V_TREADY,
    input  wire [TW3-1:0]    in3_V_TDATA,
    input  wire              in3_V_TVALID,
    output wire              in3_V_TREADY,
    output wire [OUT_TW-1:0] out0_V_TDATA,
    output wire              out0_V_TVALID,
    input  wire              out0_V_TREADY
);
    localparam integer C = C0 + C1 + C2 + C3;

    reg [OUT_TW-1:0] out_data;
    reg out_valid;
    wire [3:0] used = NI == 2 ? 4'b0011 : NI == 3 ? 4'b0111 : 4'b1111;
    wire [3:0] valid = {in3_V_TVALID, in2_V_TVALID, in1_V_TVALID, in0_V_TVALID};
    wire take = (!out_valid || out0_V_TREADY) && ((valid & used) == used);
    assign in0_V_TREADY = take;
    assign in1_V_TREADY = take;
    assign in2_V_TREADY = take && used[2];
    assign in3_V_TREADY = take && used[3];
    assign out0_V_TDATA = out_data;
    assign out0_V_TVALID = out_valid;

    wire [C*EB-1:0] joined;
    assign joined[0 +: C0*EB] = in0_V_TDATA[C0*EB-1:0];
    assign joined[C0*EB +: C1*EB] = in1_V_TDATA[C1*EB-1:0];
    generate
        if (NI > 2) begin : g_in2
            assign joined[(C0+C1)*EB +: C2*EB] = in2_V_TDATA[C2*EB-1:0];
        end
        if (NI > 3) begin : g_in3
            assign joined[(C0+C1+C2)*EB +: C3*EB] = in3_V_TDATA[C3*EB-1:0];
        end
        if (OUT_TW > C * EB) begin : g_pad
            always @(posedge ap_clk) out_data[OUT_TW-1:C*EB] <= {(OUT_TW-C*EB){1'b0}};
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            out_valid <= 1'b0;
        end else begin
            if (out0_V_TREADY) out_valid <= 1'b0;
            if (take) out_valid <= 1'b1;
        end
        if (take) out_data[C*EB-1:0] <= joined;
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused = |{in0_V_TDATA, in1_V_TDATA, in2_V_TDATA, in3_V_TDATA};
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
