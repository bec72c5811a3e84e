// bnnforge: stream fork. One input stream, the same words on N outputs (the binary MLP block
// forks the bit stream three ways, a residual block its input two ways).
//
// Verilog cannot vary the port count, so the module always has out0_V..out3_V and uses the
// first N (2..4): outputs N..3 hold TVALID low and TDATA zero, and the user leaves them
// unconnected (their TREADY is ignored). The port names stay the ones Vivado HLS gives the
// N-output HLS top.
//
// One output register per output, sharing one data register: a word is taken when every used
// output register is empty or being emptied this cycle, and each output then drains on its
// own handshake. No word is lost or repeated under any per-output backpressure, and with all
// outputs ready the fork passes one word per cycle with one cycle of latency.
`default_nettype none

module bnf_duplicate #(
    parameter integer N = 2,              // outputs in use, 2..4
    parameter integer W = 16,             // payload bits per word (PE * element bits)
    parameter integer TW = ((W + 7) / 8) * 8
) (
    input  wire          ap_clk,
    input  wire          ap_rst_n,
    input  wire [TW-1:0] in0_V_TDATA,
    input  wire          in0_V_TVALID,
    output wire          in0_V_TREADY,
    output wire [TW-1:0] out0_V_TDATA,
    output wire          out0_V_TVALID,
    input  wire          out0_V_TREADY,
    output wire [TW-1:0] out1_V_TDATA,
    output wire          out1_V_TVALID,
    input  wire          out1_V_TREADY,
    output wire [TW-1:0] out2_V_TDATA,
    output wire          out2_V_TVALID,
    input  wire          out2_V_TREADY,
    output wire [TW-1:0] out3_V_TDATA,
    output wire          out3_V_TVALID,
    input  wire          out3_V_TREADY
);
    localparam [31:0] USED_32 = (32'd1 << N) - 32'd1;
    localparam [3:0] USED = USED_32[3:0];         // one bit per output in use

    reg [TW-1:0] data;
    reg [3:0] valid;                              // output i holds an unsent word
    wire [3:0] ready = {out3_V_TREADY, out2_V_TREADY, out1_V_TREADY, out0_V_TREADY};
    wire [3:0] free = ~valid | ready | ~USED;     // output register i can take a word now
    assign in0_V_TREADY = &free;
    wire take = in0_V_TVALID && in0_V_TREADY;

    always @(posedge ap_clk) begin
        if (!ap_rst_n) valid <= 4'b0;
        else valid <= take ? USED : (valid & ~ready);
        if (take) data <= in0_V_TDATA;
    end

    // outputs beyond N: valid never set (USED bit 0), data forced to zero
    assign out0_V_TDATA = USED[0] ? data : {TW{1'b0}};
    assign out1_V_TDATA = USED[1] ? data : {TW{1'b0}};
    assign out2_V_TDATA = USED[2] ? data : {TW{1'b0}};
    assign out3_V_TDATA = USED[3] ? data : {TW{1'b0}};
    assign {out3_V_TVALID, out2_V_TVALID, out1_V_TVALID, out0_V_TVALID} = valid;
endmodule

`default_nettype wire
