/*
 * The floor of a storage layout, in C: how fast SQLite itself writes 100 000 field values (12 500 records of
 * eight text fields, one transaction, WAL, synchronous=2, secure_delete) with each kind of replication
 * metadata beside them, as a ratio of the same upserts without any (issue 21; BENCHMARKS.md, 2026-12-07).
 * Not a benchmark figure: it says what a layout can reach before any of the store's own work.
 *
 *   cc -O2 -o /tmp/layout-floor Tools/layout-floor.c -lsqlite3 && /tmp/layout-floor
 *
 * Writes /tmp/sst-layout-floor.db (and its -wal, -shm) and prints the median of five runs of each layout.
 * The values and record ids are synthetic.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define NREC 12500
#define F 8
#define DB "/tmp/sst-layout-floor.db"
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
static char ids[NREC][37]; static char vals[NREC][F][24];
static void ex(sqlite3*d,const char*s){char*e;if(sqlite3_exec(d,s,0,0,&e)){fprintf(stderr,"%s: %s\n",s,e);exit(1);}}
static double run(int mode){
  unlink(DB);unlink(DB "-wal");unlink(DB "-shm");
  sqlite3*d;sqlite3_open(DB,&d);
  ex(d,"pragma journal_mode=wal;pragma synchronous=2;pragma secure_delete=1;");
  ex(d,"create table e (id text primary key not null, f0,f1,f2,f3,f4,f5,f6,f7,_stamps);"
       "create table sst_log (seq integer primary key, entity text not null, record_id text not null, field text not null, hlc integer not null, node text not null);"
       "create table log2 (seq integer primary key, entity int, rec int, field int, hlc int, node int);"
       "create table log3 (seq integer primary key, entity int, rec text, fields int, node int);");
  sqlite3_stmt*up,*lg,*lg2,*lg3;
  sqlite3_prepare_v2(d,"insert into e (id,f0,f1,f2,f3,f4,f5,f6,f7,_stamps) values (?,?,?,?,?,?,?,?,?,?) on conflict(id) do update set f0=excluded.f0,f1=excluded.f1,f2=excluded.f2,f3=excluded.f3,f4=excluded.f4,f5=excluded.f5,f6=excluded.f6,f7=excluded.f7,_stamps=excluded._stamps",-1,&up,0);
  sqlite3_prepare_v2(d,"insert into sst_log values (?,?,?,?,?,?)",-1,&lg,0);
  sqlite3_prepare_v2(d,"insert into log2 values (?,?,?,?,?,?)",-1,&lg2,0);
  sqlite3_prepare_v2(d,"insert into log3 values (?,?,?,?,?)",-1,&lg3,0);
  char js[2048]; unsigned char blob[F*20];
  double t=now(); ex(d,"begin"); long seq=0;
  for(int i=0;i<NREC;i++){
    sqlite3_bind_text(up,1,ids[i],36,SQLITE_STATIC);
    for(int j=0;j<F;j++) sqlite3_bind_text(up,2+j,vals[i][j],-1,SQLITE_STATIC);
    if(mode==0) sqlite3_bind_null(up,10);
    else if(mode==1||mode==2||mode==5||mode==6||mode==7){ int n=0; n+=sprintf(js+n,"{"); for(int j=0;j<F;j++) n+=sprintf(js+n,"%s\"f%d\":[%ld,\"ekbacken-1\",%ld,null,null]",j?",":"",j,1700000000000000L+seq+j,seq+j); n+=sprintf(js+n,"}"); sqlite3_bind_text(up,10,js,n,SQLITE_STATIC);}
    else { for(int j=0;j<F*20;j++) blob[j]=(unsigned char)(seq*7+j); sqlite3_bind_blob(up,10,blob,F*14,SQLITE_STATIC);}
    sqlite3_step(up);sqlite3_reset(up);
    if(mode==2){ for(int j=0;j<F;j++){ seq++; char fn[4]; sprintf(fn,"f%d",j);
      sqlite3_bind_int64(lg,1,seq);sqlite3_bind_text(lg,2,"pupil",-1,SQLITE_STATIC);sqlite3_bind_text(lg,3,ids[i],36,SQLITE_STATIC);
      sqlite3_bind_text(lg,4,fn,-1,SQLITE_TRANSIENT);sqlite3_bind_int64(lg,5,1700000000000000L+seq);sqlite3_bind_text(lg,6,"ekbacken-1",-1,SQLITE_STATIC);
      sqlite3_step(lg);sqlite3_reset(lg);} }
    else if(mode==3){ for(int j=0;j<F;j++){ seq++;
      sqlite3_bind_int64(lg2,1,seq);sqlite3_bind_int(lg2,2,3);sqlite3_bind_int64(lg2,3,i+1);sqlite3_bind_int(lg2,4,j);sqlite3_bind_int64(lg2,5,1700000000000000L+seq);sqlite3_bind_int(lg2,6,1);
      sqlite3_step(lg2);sqlite3_reset(lg2);} }
    else if(mode==6||mode==7){ for(int j=0;j<F;j++){ seq++;
      sqlite3_bind_int64(lg2,1,seq);sqlite3_bind_int(lg2,2,3);if(mode==6)sqlite3_bind_int64(lg2,3,i+1);else sqlite3_bind_text(lg2,3,ids[i],36,SQLITE_STATIC);sqlite3_bind_int(lg2,4,j);sqlite3_bind_int64(lg2,5,1700000000000000L+seq);sqlite3_bind_int(lg2,6,1);
      sqlite3_step(lg2);sqlite3_reset(lg2);} }
    else if(mode==4||mode==5){ seq+=F;
      sqlite3_bind_int64(lg3,1,seq);sqlite3_bind_int(lg3,2,3);sqlite3_bind_text(lg3,3,ids[i],36,SQLITE_STATIC);sqlite3_bind_int(lg3,4,255);sqlite3_bind_int(lg3,5,1);
      sqlite3_step(lg3);sqlite3_reset(lg3);}
  }
  ex(d,"commit"); double r=now()-t;
  sqlite3_finalize(up);sqlite3_finalize(lg);sqlite3_finalize(lg2);sqlite3_finalize(lg3);sqlite3_close(d); return r;
}
int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(){
  srand(1);
  for(int i=0;i<NREC;i++){ sprintf(ids[i],"%08x-%04x-4%03x-8%03x-%012lx",rand(),rand()&0xffff,rand()&0xfff,rand()&0xfff,(long)rand()*rand()); for(int j=0;j<F;j++) sprintf(vals[i][j],"Värde %d-%d",i,j);}
  const char*names[]={"plain","+json stamps","+json +log/field text","+blob +log/field int","+blob +log/record","+json +log/record","+json +log/field int","+json +log/field int, text rec"};
  double base=0;
  for(int m=0;m<8;m++){ double r[5]; for(int k=0;k<5;k++) r[k]=run(m); qsort(r,5,sizeof(double),cmp); if(!m) base=r[2];
    printf("%-24s %.4f s  ratio %.2f\n",names[m],r[2],base/r[2]); }
}
