// bnnforge: per-channel sign of the fixed-point stream, bit = x >= t (RSign after FINN
// absorbed its bias into t). PE channels per word, channel folds C/PE per pixel; a one-word
// register slice keeps full rate under backpressure.
`default_nettype none

module bnf_thresholding #(
    parameter integer C = 16,
    parameter integer PE = 4,
    parameter integer IN_W = 16,          // signed input codes
    parameter THRESH_FILE = "",           // C/PE words of PE thresholds, IN_W+1 bits each
    parameter integer IN_TW = ((PE * IN_W + 7) / 8) * 8,
    parameter integer OUT_TW = ((PE + 7) / 8) * 8
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
    localparam integer TW = IN_W + 1;     // a threshold may lie just outside the input range

    reg [PE*TW-1:0] thresholds [0:CF-1];
    initial $readmemh(THRESH_FILE, thresholds);

    reg [FW-1:0] cf;
    reg [PE-1:0] bits;
    reg valid;
    assign in0_V_TREADY = !valid || out0_V_TREADY;
    assign out0_V_TDATA = {{(OUT_TW-PE){1'b0}}, bits};
    assign out0_V_TVALID = valid;
    wire take = in0_V_TVALID && in0_V_TREADY;

    wire [PE-1:0] cmp;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire signed [TW-1:0] x = {in0_V_TDATA[p*IN_W + IN_W-1], in0_V_TDATA[p*IN_W +: IN_W]};
            wire signed [TW-1:0] t = thresholds[cf][p*TW +: TW];
            assign cmp[p] = x >= t;
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            cf <= {FW{1'b0}};
            valid <= 1'b0;
        end else begin
            if (out0_V_TREADY) valid <= 1'b0;
            if (take) begin
                bits <= cmp;
                valid <= 1'b1;
                cf <= (cf == CF_LAST) ? {FW{1'b0}} : cf + 1'b1;
            end
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
