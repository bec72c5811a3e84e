// bnnforge: AXI-stream FIFO between dataflow ops and on skip paths. DEPTH words of storage
// (read synchronously, so deep FIFOs map to block RAM) plus the output register: it holds
// DEPTH + 1 words, passes one word per cycle (DEPTH >= 2), and a word takes 2 cycles from
// in to out. TREADY depends only on the fill level, never combinationally on the consumer's
// TREADY, so chains of ops and FIFOs keep short timing paths (DEPTH 1 would halve the rate).
// RAM_STYLE places the storage (bnf_ram): "auto", "distributed", "block" or "ultra".
`default_nettype none

module bnf_fifo #(
    parameter integer W = 8,              // TDATA width
    parameter integer DEPTH = 2,
    parameter [8*11-1:0] RAM_STYLE = "auto"
) (
    input  wire         ap_clk,
    input  wire         ap_rst_n,
    input  wire [W-1:0] in0_V_TDATA,
    input  wire         in0_V_TVALID,
    output wire         in0_V_TREADY,
    output wire [W-1:0] out0_V_TDATA,
    output wire         out0_V_TVALID,
    input  wire         out0_V_TREADY
);
    localparam integer AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam integer CW = $clog2(DEPTH + 1);
    localparam [31:0] DEPTH_M1 = DEPTH - 1, DEPTH_32 = DEPTH;
    localparam [AW-1:0] LAST = DEPTH_M1[AW-1:0];
    localparam [CW-1:0] FULL = DEPTH_32[CW-1:0];

    reg [AW-1:0] wr_ptr, rd_ptr;
    reg [CW-1:0] count;                   // words in mem, not counting the output register
    wire [W-1:0] out_data;
    reg out_valid;

    wire push = in0_V_TVALID && (count != FULL);
    wire pop = (count != {CW{1'b0}}) && (!out_valid || out0_V_TREADY);
    assign in0_V_TREADY = (count != FULL);
    assign out0_V_TDATA = out_data;
    assign out0_V_TVALID = out_valid;

    bnf_ram #(.W(W), .DEPTH(DEPTH), .AW(AW), .RAM_STYLE(RAM_STYLE)) u_mem (
        .clk(ap_clk), .we(push), .wa(wr_ptr), .d(in0_V_TDATA), .re(pop), .ra(rd_ptr), .srst(1'b0), .q(out_data));

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wr_ptr <= {AW{1'b0}};
            rd_ptr <= {AW{1'b0}};
            count <= {CW{1'b0}};
            out_valid <= 1'b0;
        end else begin
            if (push) wr_ptr <= (wr_ptr == LAST) ? {AW{1'b0}} : wr_ptr + 1'b1;
            if (pop) rd_ptr <= (rd_ptr == LAST) ? {AW{1'b0}} : rd_ptr + 1'b1;
            if (push && !pop) count <= count + 1'b1;
            else if (pop && !push) count <= count - 1'b1;
            if (pop) out_valid <= 1'b1;
            else if (out0_V_TREADY) out_valid <= 1'b0;
        end
    end
endmodule

`default_nettype wire
