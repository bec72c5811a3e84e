// bnnforge: the one simple dual-port RAM of the stream buffers (FIFOs, the dynamic sign's
// frame ring, the sliding window's line buffer, the circular shift's frame banks): one write
// port, one read port read through a register with an enable and a synchronous reset to
// SRST_VALUE (the block RAM output latch's; the sliding window's padded taps), so block RAM
// and UltraRAM can hold it. RAM_STYLE places it as the generator's cost model does (memory.memory_cost):
// "auto" leaves the choice to synthesis (by size), "distributed" (LUTRAM), "block"
// (RAMB18/36) or "ultra" (URAM288, UltraScale+). The attribute is written out literally in
// each branch, not taken from the parameter, because not every synthesis tool evaluates a
// parameter inside an attribute.
`default_nettype none

module bnf_ram #(
    parameter integer W = 8,
    parameter integer DEPTH = 2,
    parameter integer AW = DEPTH > 1 ? $clog2(DEPTH) : 1,
    parameter [8*11-1:0] RAM_STYLE = "auto",
    parameter [W-1:0] SRST_VALUE = {W{1'b0}}
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] wa,
    input  wire [W-1:0]  d,
    input  wire          re,
    input  wire [AW-1:0] ra,
    input  wire          srst,            // with re: q <= SRST_VALUE instead of the word
    output wire [W-1:0]  q
);
    localparam [8*11-1:0] DISTRIBUTED = "distributed", BLOCK = "block", ULTRA = "ultra";
    reg [W-1:0] q_r;
    assign q = q_r;
    generate
        if (RAM_STYLE == ULTRA) begin : g_ultra
            (* ram_style = "ultra" *) reg [W-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[wa] <= d;
                if (re) q_r <= srst ? SRST_VALUE : mem[ra];
            end
        end else if (RAM_STYLE == BLOCK) begin : g_block
            (* ram_style = "block" *) reg [W-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[wa] <= d;
                if (re) q_r <= srst ? SRST_VALUE : mem[ra];
            end
        end else if (RAM_STYLE == DISTRIBUTED) begin : g_distributed
            (* ram_style = "distributed" *) reg [W-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[wa] <= d;
                if (re) q_r <= srst ? SRST_VALUE : mem[ra];
            end
        end else begin : g_auto
            reg [W-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[wa] <= d;
                if (re) q_r <= srst ? SRST_VALUE : mem[ra];
            end
        end
    endgenerate
endmodule

`default_nettype wire
