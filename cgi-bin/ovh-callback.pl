#!/usr/bin/perl
# A Perl CGI.pm script written for OVH's reply callback (cgiUrl): it reads the five
# fields OVH posts (shortcode, tag, id, senderid, message) and runs unchanged here.
use strict;
use warnings;
use utf8;
use CGI;
use Encode qw(decode);

my $q = CGI->new;
my $message = decode('UTF-8', scalar $q->param('message') // '');
my $sender  = $q->param('senderid') // '';
my $code    = $q->param('shortcode') // '';

binmode STDOUT, ':encoding(UTF-8)';
print $q->header(-type => 'text/plain', -charset => 'utf-8');
printf "Bien reçu « %s » de %s au %s.\n", $message, $sender, $code;
