// bnnforge: channels START..END-1 of a stream or per-frame vector of CIN channels, PE per word
// (PE divides START, END and CIN). Every input word is consumed; the words of the slice go
// to a one-word register slice, the others are dropped, so the unit is paced by its input:
// CIN/PE cycles per pixel, and the first output leaves START/PE + 1 cycles after the first
// input.
`default_nettype none

module bnf_channel_slice #(
    parameter integer CIN = 16,
    parameter integer START = 4,
    parameter integer END = 12,
    parameter integer PE = 4,
    parameter integer EB = 16,            // bits per element
    parameter integer TW = ((PE * EB + 7) / 8) * 8
) (
    input  wire          ap_clk,
    input  wire          ap_rst_n,
    input  wire [TW-1:0] in0_V_TDATA,
    input  wire          in0_V_TVALID,
    output wire          in0_V_TREADY,
    output wire [TW-1:0] out0_V_TDATA,
    output wire          out0_V_TVALID,
    input  wire          out0_V_TREADY
);
    localparam integer CF = CIN / PE;     // input words per pixel
    localparam integer S = START / PE;    // first kept word
    localparam integer E = END / PE;      // one past the last kept word
    localparam integer JW = CF > 1 ? $clog2(CF) : 1;
    localparam [31:0] CF_M1 = CF - 1, S_32 = S, E_32 = E;
    localparam [JW-1:0] CF_LAST = CF_M1[JW-1:0];

    reg [JW-1:0] j;                       // word within the pixel
    reg [TW-1:0] out_data;
    reg out_valid;

    // keep = S <= j < E; the bounds at the ends of the pixel are constant comparisons, so
    // they are written out (Verilator warns about comparisons that are always true)
    wire from_start, before_end;
    generate
        if (S == 0) begin : g_from0
            assign from_start = 1'b1;
        end else begin : g_from
            assign from_start = j >= S_32[JW-1:0];
        end
        if (E == CF) begin : g_to_end
            assign before_end = 1'b1;
        end else begin : g_to
            assign before_end = j < E_32[JW-1:0];
        end
    endgenerate
    wire keep = from_start && before_end;
    wire out_free = !out_valid || out0_V_TREADY;
    assign in0_V_TREADY = !keep || out_free;
    wire take = in0_V_TVALID && in0_V_TREADY;
    assign out0_V_TDATA = out_data;
    assign out0_V_TVALID = out_valid;

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            j <= {JW{1'b0}};
            out_valid <= 1'b0;
        end else begin
            if (out0_V_TREADY) out_valid <= 1'b0;
            if (take) begin
                j <= (j == CF_LAST) ? {JW{1'b0}} : j + 1'b1;
                if (keep) begin
                    out_data <= in0_V_TDATA;
                    out_valid <= 1'b1;
                end
            end
        end
    end
endmodule

`default_nettype wire
