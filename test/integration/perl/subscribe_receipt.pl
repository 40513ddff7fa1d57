#!/usr/bin/perl
# Net::Stomp (STOMP 1.0) worker written the usual synchronous way: SUBSCRIBE with a receipt, read the
# RECEIPT as the very next frame, then take every message of a queue that already holds them, with
# client-individual ACKs. Last line: "received: N first: COMMAND".
use strict;
use warnings;
use Net::Stomp;

my ($host, $port, $dest, $count) = @ARGV;
my $stomp = Net::Stomp->new({ hostname => $host, port => $port });
$stomp->connect({ login => 'guest', passcode => 'guest' }) or die "no CONNECTED\n";
$stomp->subscribe({ destination => $dest, ack => 'client-individual', receipt => 'sub-1' });
my $first = $stomp->receive_frame({ timeout => 10 }) or die "nothing after SUBSCRIBE\n";
die 'expected RECEIPT first, got ' . $first->command . "\n" unless $first->command eq 'RECEIPT';
my $received = 0;
while ($received < $count) {
    my $frame = $stomp->receive_frame({ timeout => 10 }) or die "no MESSAGE after $received\n";
    die 'expected MESSAGE, got ' . $frame->command . "\n" unless $frame->command eq 'MESSAGE';
    die 'out of order: ' . $frame->body . " at $received\n" unless $frame->body eq "m$received";
    $stomp->ack({ frame => $frame });
    $received++;
}
$stomp->disconnect;
print "received: $received first: ", $first->command, "\n";
