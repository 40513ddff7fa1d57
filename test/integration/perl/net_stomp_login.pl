#!/usr/bin/perl
# Net::Stomp (Debian libnet-stomp-perl) logging in with login and passcode. Usage:
#   net_stomp_login.pl HOST PORT QUEUE LOGIN PASSCODE
# Once CONNECTED: sends two messages with receipts, subscribes (client ack), receives and ACKs them.
# Last line: "received: a,b", or "error: MESSAGE" when the broker answered CONNECT with ERROR.
use strict;
use warnings;
use Net::Stomp;

my ($host, $port, $dest, $login, $passcode) = @ARGV;
my $stomp = Net::Stomp->new({ hostname => $host, port => $port });
my $answer = $stomp->connect({ login => $login, passcode => $passcode });
if (!$answer || $answer->command ne 'CONNECTED') {
    print 'error: ', ($answer ? $answer->headers->{message} : 'no answer'), "\n";
    exit 0;
}
for my $i (0 .. 1) {
    $stomp->send_with_receipt({ destination => $dest, body => "perl-$i" }) or die "no RECEIPT for perl-$i\n";
}
$stomp->subscribe({ destination => $dest, ack => 'client' });
my @received;
for (1 .. 2) {
    my $frame = $stomp->receive_frame({ timeout => 10 }) or die "no MESSAGE\n";
    die 'expected MESSAGE, got ' . $frame->command . ': ' . ($frame->headers->{message} // '') . "\n"
        unless $frame->command eq 'MESSAGE';
    push @received, $frame->body;
    $stomp->ack({ frame => $frame });
}
$stomp->disconnect;
print 'received: ', join(',', @received), "\n";
