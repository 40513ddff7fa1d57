#!/usr/bin/perl
# Net::Stomp (Debian libnet-stomp-perl) against the broker: sends with receipts, a transactional send,
# a client-ack subscription with ActiveMQ's prefetch header, ACKs. Last line: "received: a,b,...".
use strict;
use warnings;
use Net::Stomp;

my ($host, $port, $dest) = @ARGV;
my $stomp = Net::Stomp->new({ hostname => $host, port => $port });
$stomp->connect({ login => 'guest', passcode => 'guest' }) or die "no CONNECTED\n";
for my $i (0 .. 2) {
    $stomp->send_with_receipt({ destination => $dest, body => "perl-$i", 'content-type' => 'text/plain' })
        or die "no RECEIPT for perl-$i\n";
}
$stomp->send_transactional({ destination => $dest, body => 'perl-tx' }) or die "transaction failed\n";
$stomp->subscribe({ destination => $dest, ack => 'client', 'activemq.prefetchSize' => 1 });
my @received;
for (1 .. 4) {
    my $frame = $stomp->receive_frame({ timeout => 10 }) or die "no MESSAGE\n";
    die 'expected MESSAGE, got ' . $frame->command . "\n" unless $frame->command eq 'MESSAGE';
    push @received, $frame->body;
    $stomp->ack({ frame => $frame });
}
$stomp->disconnect;
print 'received: ', join(',', @received), "\n";
